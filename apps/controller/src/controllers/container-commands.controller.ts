import { Controller, Delete, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ContainerRemoveQuerySchema } from '../dtos/command.dto.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { CommandService } from '../services/command.service.js';
import { CommandInput, type CommandInputValue, CommandRoute } from './command-route.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

const ID = { id: 'Corral id of the container (UUID)' };
const id = new ZodValidationPipe(IdParamSchema);

// Lifecycle verbs on one container; each issues a command for its host's agent.
@ApiTags('containers')
@Controller('api/v1/containers')
export class ContainerCommandsController {
  constructor(private readonly commands: CommandService) {}

  @Post(':id/start')
  @CommandRoute('container.start', 'Start a container', { params: ID })
  start(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.start', input.body, input.request);
  }

  @Post(':id/stop')
  @CommandRoute('container.stop', 'Stop a container (SIGTERM, then SIGKILL after timeoutSeconds)', { params: ID })
  stop(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.stop', input.body, input.request);
  }

  @Post(':id/restart')
  @CommandRoute('container.restart', 'Restart a container', { params: ID })
  restart(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.restart', input.body, input.request);
  }

  @Post(':id/kill')
  @CommandRoute('container.kill', 'Send a signal to a Docker container', { params: ID })
  kill(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.kill', input.body, input.request);
  }

  @Post(':id/pause')
  @CommandRoute('container.pause', 'Pause a Docker container (LXC: freeze)', { params: ID })
  pause(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.pause', input.body, input.request);
  }

  @Post(':id/unpause')
  @CommandRoute('container.unpause', 'Unpause a Docker container (LXC: unfreeze)', { params: ID })
  unpause(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.unpause', input.body, input.request);
  }

  @Post(':id/freeze')
  @CommandRoute('container.freeze', 'Freeze an LXC container (Docker: pause)', { params: ID })
  freeze(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.freeze', input.body, input.request);
  }

  @Post(':id/unfreeze')
  @CommandRoute('container.unfreeze', 'Unfreeze an LXC container (Docker: unpause)', { params: ID })
  unfreeze(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.unfreeze', input.body, input.request);
  }

  @Post(':id/rename')
  @CommandRoute('container.rename', 'Rename a Docker container', { params: ID })
  rename(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.rename', input.body, input.request);
  }

  @Post(':id/exec')
  @CommandRoute('container.exec', 'Run a program in a container; stdout, stderr and exit code in the result', {
    params: ID,
  })
  exec(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.exec', input.body, input.request);
  }

  @Post(':id/logs')
  @CommandRoute('container.logs', 'Fetch the log of a Docker container', { params: ID })
  logs(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.logs', input.body, input.request);
  }

  @Post(':id/clone')
  @CommandRoute('container.clone', 'Copy an LXC container under a new name', { params: ID })
  clone(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.clone', input.body, input.request);
  }

  @Delete(':id')
  @CommandRoute('container.remove', 'Remove a container', { params: ID, query: ContainerRemoveQuerySchema, body: null })
  remove(
    @Param('id', id) container: string,
    @CommandInput({ query: ContainerRemoveQuerySchema, noBody: true }) input: CommandInputValue,
  ) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.remove', input.query, input.request);
  }
}
