import { Controller, Get, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { CommandGetQuerySchema, type CommandListQuery, CommandListQuerySchema } from '../dtos/command.dto.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { CommandService } from '../services/command.service.js';
import { ApiListRoute, ApiZodQuery } from './api-docs.decorators.js';
import { CommandReplyInterceptor } from './command-route.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

const ID = { name: 'id', description: 'Corral id of the command (UUID)', schema: { type: 'string', format: 'uuid' } };
const id = new ZodValidationPipe(IdParamSchema);
const waitQuery = new ZodValidationPipe(CommandGetQuerySchema);

@ApiTags('commands')
@Controller('api/v1/commands')
export class CommandsController {
  constructor(private readonly commands: CommandService) {}

  @Get()
  @ApiListRoute('List commands, newest first', 'CommandPage', CommandListQuerySchema)
  list(@Query(new ZodValidationPipe(CommandListQuerySchema)) query: CommandListQuery) {
    return this.commands.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One command; with ?wait=<seconds>, once it ends or the wait passes' })
  @ApiParam(ID)
  @ApiZodQuery(CommandGetQuerySchema)
  @ApiOkResponse({ description: 'the command (after the wait, when one was asked for)', schema: schemaRef('Command') })
  @ApiBadRequestResponse({ description: 'the id is not a UUID, or wait is out of bounds', schema: schemaRef('Error') })
  @ApiNotFoundResponse({ description: 'no command with this id', schema: schemaRef('Error') })
  get(@Param('id', id) command: string, @Query(waitQuery) query: { wait: number }) {
    return this.commands.get(command, query.wait);
  }

  @Post(':id/cancel')
  @ApiOperation({
    summary: 'Cancel a command',
    description:
      'A pending command is canceled at once. One the agent holds (sent, running) gets command.cancel and ends ' +
      'with what the agent answers: canceled, or succeeded if it finished first; without an answer it ends as ' +
      'canceled 30 s later. A command that already ended answers 409.',
  })
  @ApiParam(ID)
  @ApiZodQuery(CommandGetQuerySchema)
  @ApiAcceptedResponse({ description: 'the command after the cancel was recorded', schema: schemaRef('Command') })
  @ApiBadRequestResponse({ description: 'the id is not a UUID, or wait is out of bounds', schema: schemaRef('Error') })
  @ApiNotFoundResponse({ description: 'no command with this id', schema: schemaRef('Error') })
  @ApiConflictResponse({ description: 'the command already ended', schema: schemaRef('Error') })
  @UseInterceptors(CommandReplyInterceptor)
  cancel(@Param('id', id) command: string, @Query(waitQuery) query: { wait: number }) {
    return this.commands.cancel(command, query.wait);
  }
}
