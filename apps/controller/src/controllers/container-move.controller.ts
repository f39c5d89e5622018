import { opSpec } from '@corral/protocol';
import { Body, Controller, HttpCode, Param, Post, SetMetadata } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { queryParamSchema, schemaRef } from '../dtos/api-schemas.js';
import {
  type ContainerCopyBody,
  ContainerCopyBodySchema,
  type ContainerMoveBody,
  ContainerMoveBodySchema,
} from '../dtos/container-move.dto.js';
import { ContainerMoveService } from '../services/container-move.service.js';
import type { Principal } from '../services/principal.js';
import { CurrentPrincipal, RequireRole } from './auth.decorators.js';
import { COMMAND_OP } from './command-route.decorators.js';
import { ContainerRef } from './resolve.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

const CONTAINER_PARAM = opSpec('container.archive').route.pathParams.id!;
const ERRORS = {
  badRequest: 'a field is malformed or unknown; `field` names it',
  notFound: 'no such container or target host',
  conflict:
    'the target already has a container of that name, the name fits several rows (`candidates`), or the container is neither running nor stopped',
  forbidden: "the target host's create policy (the controller's or its agent's) refuses the copied config",
  unprocessable:
    'the target is the container’s own host, runs no LXC, has no bridge to link to, or the container is not LXC',
  badGateway: 'a step failed on a host (the source is left as it was; nothing stays on the target)',
};

// Copies and moves of containers between hosts, through the controller's archive relay.
@ApiTags('containers')
@Controller('api/v1/containers')
export class ContainerMoveController {
  constructor(private readonly moves: ContainerMoveService) {}

  @Post(':id/copy')
  @SetMetadata(COMMAND_OP, 'container.archive')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({
    operationId: 'container.copy',
    summary: 'Copy an LXC container to another host',
    description:
      'Stops the container if it runs, streams its directory (config and rootfs) through the controller to the target host, which restores it in its lxcpath linked to its bridge with a fresh MAC and starts it; then the source is started again. Answers when done (it can take minutes). Needs the operator role.',
  })
  @ApiParam({ name: 'id', description: CONTAINER_PARAM, schema: { type: 'string', minLength: 1, maxLength: 512 } })
  @ApiBody({ description: 'where to copy it, and under which name', schema: queryParamSchema(ContainerCopyBodySchema) })
  @ApiOkResponse({ description: 'the copy runs on the target host', schema: schemaRef('ContainerMoveReply') })
  @ApiBadRequestResponse({ description: ERRORS.badRequest, schema: schemaRef('Error') })
  @ApiNotFoundResponse({ description: ERRORS.notFound, schema: schemaRef('Error') })
  @ApiConflictResponse({ description: ERRORS.conflict, schema: schemaRef('Error') })
  @ApiForbiddenResponse({ description: ERRORS.forbidden, schema: schemaRef('Error') })
  @ApiUnsupportedMediaTypeResponse({ description: 'a body that is not application/json', schema: schemaRef('Error') })
  @ApiUnprocessableEntityResponse({ description: ERRORS.unprocessable, schema: schemaRef('Error') })
  @ApiBadGatewayResponse({ description: ERRORS.badGateway, schema: schemaRef('Error') })
  copy(
    @Param('id', ContainerRef) id: string,
    @Body(new ZodValidationPipe(ContainerCopyBodySchema)) body: ContainerCopyBody,
    @CurrentPrincipal() principal: Principal | undefined,
  ) {
    return this.moves.copy(id, body, principal);
  }

  @Post(':id/move')
  @SetMetadata(COMMAND_OP, 'container.restore')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({
    operationId: 'container.move',
    summary: 'Move an LXC container to another host',
    description:
      'As copy, keeping the name; the source is removed only once the container runs on the target. Any failure before that leaves the source as it was (started again if it ran) and nothing on the target. Needs the operator role.',
  })
  @ApiParam({ name: 'id', description: CONTAINER_PARAM, schema: { type: 'string', minLength: 1, maxLength: 512 } })
  @ApiBody({ description: 'where to move it', schema: queryParamSchema(ContainerMoveBodySchema) })
  @ApiOkResponse({ description: 'the container runs on the target host', schema: schemaRef('ContainerMoveReply') })
  @ApiBadRequestResponse({ description: ERRORS.badRequest, schema: schemaRef('Error') })
  @ApiNotFoundResponse({ description: ERRORS.notFound, schema: schemaRef('Error') })
  @ApiConflictResponse({ description: ERRORS.conflict, schema: schemaRef('Error') })
  @ApiForbiddenResponse({ description: ERRORS.forbidden, schema: schemaRef('Error') })
  @ApiUnsupportedMediaTypeResponse({ description: 'a body that is not application/json', schema: schemaRef('Error') })
  @ApiUnprocessableEntityResponse({ description: ERRORS.unprocessable, schema: schemaRef('Error') })
  @ApiBadGatewayResponse({ description: ERRORS.badGateway, schema: schemaRef('Error') })
  move(
    @Param('id', ContainerRef) id: string,
    @Body(new ZodValidationPipe(ContainerMoveBodySchema)) body: ContainerMoveBody,
    @CurrentPrincipal() principal: Principal | undefined,
  ) {
    return this.moves.move(id, body, principal);
  }
}
