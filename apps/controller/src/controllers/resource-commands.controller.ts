import { Controller, Delete, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ForceQuerySchema } from '../dtos/command.dto.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { CommandService } from '../services/command.service.js';
import { CommandInput, type CommandInputValue, CommandRoute } from './command-route.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

const id = new ZodValidationPipe(IdParamSchema);
const IMAGE = { id: 'Corral id of the image (UUID)' };
const VOLUME = { id: 'Corral id of the volume (UUID)' };
const NETWORK = { id: 'Corral id of the network (UUID)' };

// Commands on Docker images, volumes and networks, named by their inventory row id.
@Controller('api/v1')
export class ResourceCommandsController {
  constructor(private readonly commands: CommandService) {}

  @Post('images/:id/tag')
  @ApiTags('images')
  @CommandRoute('image.tag', 'Give an image another repository:tag', { params: IMAGE })
  tagImage(@Param('id', id) image: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'image', id: image }, 'image.tag', input.body, input.request);
  }

  @Delete('images/:id')
  @ApiTags('images')
  @CommandRoute('image.remove', 'Remove an image', { params: IMAGE, query: ForceQuerySchema, body: null })
  removeImage(
    @Param('id', id) image: string,
    @CommandInput({ query: ForceQuerySchema, noBody: true }) input: CommandInputValue,
  ) {
    return this.commands.submit({ kind: 'image', id: image }, 'image.remove', input.query, input.request);
  }

  @Delete('volumes/:id')
  @ApiTags('volumes')
  @CommandRoute('volume.remove', 'Remove a volume', { params: VOLUME, query: ForceQuerySchema, body: null })
  removeVolume(
    @Param('id', id) volume: string,
    @CommandInput({ query: ForceQuerySchema, noBody: true }) input: CommandInputValue,
  ) {
    return this.commands.submit({ kind: 'volume', id: volume }, 'volume.remove', input.query, input.request);
  }

  @Delete('networks/:id')
  @ApiTags('networks')
  @CommandRoute('network.remove', 'Remove a network', { params: NETWORK, body: null })
  removeNetwork(@Param('id', id) network: string, @CommandInput({ noBody: true }) input: CommandInputValue) {
    return this.commands.submit({ kind: 'network', id: network }, 'network.remove', {}, input.request);
  }

  @Post('networks/:id/connect')
  @ApiTags('networks')
  @CommandRoute('network.connect', 'Connect a Docker container (Corral id, or Docker id or name) to a network', {
    params: NETWORK,
  })
  connect(@Param('id', id) network: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'network', id: network }, 'network.connect', input.body, input.request);
  }

  @Post('networks/:id/disconnect')
  @ApiTags('networks')
  @CommandRoute('network.disconnect', 'Disconnect a Docker container from a network', { params: NETWORK })
  disconnect(@Param('id', id) network: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'network', id: network }, 'network.disconnect', input.body, input.request);
  }
}
