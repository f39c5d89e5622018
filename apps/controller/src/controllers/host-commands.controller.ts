import { Controller, Param, Post, Req } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { ImageImportQuerySchema } from '../dtos/command.dto.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { CommandService } from '../services/command.service.js';
import { ImageUploadService, TARBALL_TYPES, type UploadBody } from '../services/image-upload.service.js';
import { CommandInput, type CommandInputValue, CommandRoute } from './command-route.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

const HOST = { host: 'Corral id of the host (UUID)' };
const host = new ZodValidationPipe(IdParamSchema);

// Commands that act on a host as a whole: create things on it, prune, refresh.
@ApiTags('hosts')
@Controller('api/v1/hosts/:host')
export class HostCommandsController {
  constructor(
    private readonly commands: CommandService,
    private readonly images: ImageUploadService,
  ) {}

  @Post('containers')
  @CommandRoute('container.create', 'Create a Docker or LXC container on a host', { params: HOST })
  createContainer(@Param('host', host) hostId: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'host', id: hostId }, 'container.create', input.body, input.request);
  }

  @Post('images/import')
  @CommandRoute('image.import', 'Upload a rootfs tarball and import it as a Docker image', {
    params: HOST,
    query: ImageImportQuerySchema,
    body: null,
  })
  @ApiConsumes(...TARBALL_TYPES)
  @ApiBody({ description: 'the tarball itself, streamed', schema: { type: 'string', format: 'binary' } })
  @ApiPayloadTooLargeResponse({ description: 'larger than CORRAL_MAX_UPLOAD_BYTES', schema: schemaRef('Error') })
  @ApiUnsupportedMediaTypeResponse({ description: 'not application/x-tar', schema: schemaRef('Error') })
  importImage(
    @Param('host', host) hostId: string,
    @CommandInput({ query: ImageImportQuerySchema, streamedBody: true }) input: CommandInputValue,
    @Req() body: UploadBody,
  ) {
    return this.images.importImage(hostId, String(input.query.reference), body, input.request);
  }

  @Post('images/prune')
  @CommandRoute('image.prune', 'Remove unused Docker images from a host', { params: HOST })
  pruneImages(@Param('host', host) hostId: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'host', id: hostId }, 'image.prune', input.body, input.request);
  }

  @Post('volumes')
  @CommandRoute('volume.create', 'Create a Docker volume on a host', { params: HOST })
  createVolume(@Param('host', host) hostId: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'host', id: hostId }, 'volume.create', input.body, input.request);
  }

  @Post('volumes/prune')
  @CommandRoute('volume.prune', 'Remove unused Docker volumes from a host', { params: HOST })
  pruneVolumes(@Param('host', host) hostId: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'host', id: hostId }, 'volume.prune', input.body, input.request);
  }

  @Post('networks')
  @CommandRoute('network.create', 'Create a Docker bridge network on a host', { params: HOST })
  createNetwork(@Param('host', host) hostId: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'host', id: hostId }, 'network.create', input.body, input.request);
  }

  @Post('refresh')
  @CommandRoute('host.refresh', 'Make the agent re-read everything and report it now', { params: HOST })
  refresh(@Param('host', host) hostId: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'host', id: hostId }, 'host.refresh', input.body, input.request);
  }
}
