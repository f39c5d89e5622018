import { Body, Controller, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { queryParamSchema, schemaRef } from '../dtos/api-schemas.js';
import { CordonBodySchema, DrainQuerySchema, HostLabelsBodySchema } from '../dtos/host-scheduling.dto.js';
import { ContainerMoveService } from '../services/container-move.service.js';
import { HostSchedulingService } from '../services/host-scheduling.service.js';
import type { Principal } from '../services/principal.js';
import { CurrentPrincipal, RequireRole } from './auth.decorators.js';
import { parseBody } from './body.parser.js';
import { HostRef, REFERENCE_DESCRIPTIONS } from './resolve.pipe.js';

const ID = {
  name: 'id',
  description: REFERENCE_DESCRIPTIONS.host,
  schema: { type: 'string', minLength: 1, maxLength: 512 },
};
const notFound = ApiNotFoundResponse({ description: 'nothing has this id or hostname', schema: schemaRef('Error') });
const ambiguous = ApiConflictResponse({
  description: 'the reference fits several hosts; `candidates` lists them',
  schema: schemaRef('Error'),
});

// Host labels and cordon, which placement decisions read.
@ApiTags('hosts')
@Controller('api/v1/hosts/:id')
export class HostSchedulingController {
  constructor(
    private readonly hosts: HostSchedulingService,
    private readonly moves: ContainerMoveService,
  ) {}

  @Put('labels')
  @ApiOperation({ summary: "Replace the host's API labels (agent labels stay; API labels win on the same key)" })
  @ApiParam(ID)
  @ApiBody({ description: 'the API labels', schema: queryParamSchema(HostLabelsBodySchema) })
  @ApiOkResponse({ description: 'the host as it is now', schema: schemaRef('Host') })
  @notFound
  @ambiguous
  setLabels(@Param('id', HostRef) hostId: string, @Body() body: unknown) {
    return this.hosts.setLabels(hostId, parseBody(HostLabelsBodySchema, body).labels);
  }

  @Post('cordon')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cordon a host: placement never chooses it; what runs there stays' })
  @ApiParam(ID)
  @ApiBody({ required: false, description: 'an optional reason', schema: queryParamSchema(CordonBodySchema) })
  @ApiOkResponse({ description: 'the host as it is now', schema: schemaRef('Host') })
  @notFound
  @ambiguous
  cordon(@Param('id', HostRef) hostId: string, @Body() body: unknown) {
    return this.hosts.cordon(hostId, parseBody(CordonBodySchema, body).reason ?? null);
  }

  @Post('uncordon')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make a cordoned host a placement candidate again' })
  @ApiParam(ID)
  @ApiOkResponse({ description: 'the host as it is now', schema: schemaRef('Host') })
  @notFound
  @ambiguous
  uncordon(@Param('id', HostRef) hostId: string) {
    return this.hosts.uncordon(hostId);
  }

  @Post('drain')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({
    summary: 'Cordon a host and list what would have to move off it; with move=true, move it',
    description:
      'Without `move`, nothing is moved: the answer lists the containers on the host with their placement group. With `move=true` every container is moved, one at a time, to the host placement chooses for its runtime, memory limit and group (as POST /containers/{id}/move does), and `moves` says for each where it went or why it stayed. Needs the operator role.',
  })
  @ApiParam(ID)
  @ApiQuery({
    name: 'move',
    required: false,
    description: 'true: move every container off the host',
    schema: { type: 'string', enum: ['true', 'false'] },
  })
  @ApiBody({ required: false, description: 'an optional reason', schema: queryParamSchema(CordonBodySchema) })
  @ApiOkResponse({
    description: 'the host and its containers; with move=true also `moves`, one result per container',
    schema: schemaRef('DrainMoved'),
  })
  @ApiBadRequestResponse({
    description: 'an unknown query parameter, or move not true/false',
    schema: schemaRef('Error'),
  })
  @ApiForbiddenResponse({ description: 'needs the operator role', schema: schemaRef('Error') })
  @notFound
  @ambiguous
  async drain(
    @Param('id', HostRef) hostId: string,
    @Body() body: unknown,
    @Query() query: unknown,
    @CurrentPrincipal() principal: Principal | undefined,
  ) {
    const { move } = parseBody(DrainQuerySchema, query ?? {});
    const drained = await this.hosts.drain(hostId, parseBody(CordonBodySchema, body).reason ?? null);
    if (move !== 'true') return drained;
    return { ...drained, moves: await this.moves.drain(drained.containers, principal) };
  }
}
