import { COMMAND_PARAMS } from '@corral/protocol';
import { Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { CommandService } from '../services/command.service.js';
import { CommandInput, type CommandInputValue, CommandRoute } from './command-route.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

const ID = { id: 'Corral id of the LXC container (UUID)' };
const SNAPSHOT = { ...ID, name: 'snapshot name, as snapshot.list reports it (snap0, ...)' };
const id = new ZodValidationPipe(IdParamSchema);
const name = new ZodValidationPipe(z.string().min(1).max(255));

// LXC snapshots. Listing asks the agent too, so it is a command like the rest (202, ?wait).
@ApiTags('containers')
@Controller('api/v1/containers/:id/snapshots')
export class ContainerSnapshotsController {
  constructor(private readonly commands: CommandService) {}

  @Post()
  @CommandRoute('container.snapshot.create', 'Snapshot an LXC container', { params: ID })
  create(@Param('id', id) container: string, @CommandInput() input: CommandInputValue) {
    return this.commands.submit(
      { kind: 'container', id: container },
      'container.snapshot.create',
      input.body,
      input.request,
    );
  }

  @Get()
  @CommandRoute('container.snapshot.list', 'List the snapshots of an LXC container (in the result)', {
    params: ID,
    body: null,
  })
  list(@Param('id', id) container: string, @CommandInput({ noBody: true }) input: CommandInputValue) {
    return this.commands.submit({ kind: 'container', id: container }, 'container.snapshot.list', {}, input.request);
  }

  @Post(':name/restore')
  @CommandRoute('container.snapshot.restore', 'Restore an LXC container from a snapshot (or into a new container)', {
    params: SNAPSHOT,
    body: COMMAND_PARAMS['container.snapshot.restore'].omit({ snapshot: true }),
  })
  restore(
    @Param('id', id) container: string,
    @Param('name', name) snapshot: string,
    @CommandInput() input: CommandInputValue,
  ) {
    const params = { ...input.body, snapshot };
    return this.commands.submit(
      { kind: 'container', id: container },
      'container.snapshot.restore',
      params,
      input.request,
    );
  }

  @Delete(':name')
  @CommandRoute('container.snapshot.delete', 'Delete a snapshot of an LXC container', { params: SNAPSHOT, body: null })
  remove(
    @Param('id', id) container: string,
    @Param('name', name) snapshot: string,
    @CommandInput({ noBody: true }) input: CommandInputValue,
  ) {
    const params = { snapshot };
    return this.commands.submit(
      { kind: 'container', id: container },
      'container.snapshot.delete',
      params,
      input.request,
    );
  }
}
