import { Body, Controller, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { queryParamSchema, schemaRef } from '../dtos/api-schemas.js';
import { CordonBodySchema, HostLabelsBodySchema } from '../dtos/host-scheduling.dto.js';
import { HostSchedulingService } from '../services/host-scheduling.service.js';
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
  constructor(private readonly hosts: HostSchedulingService) {}

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
  @ApiOperation({
    summary: 'Cordon a host and list what would have to move off it',
    description: 'Nothing is moved: the answer lists the containers on the host with their placement group.',
  })
  @ApiParam(ID)
  @ApiBody({ required: false, description: 'an optional reason', schema: queryParamSchema(CordonBodySchema) })
  @ApiOkResponse({ description: 'the host, now cordoned, and what runs on it', schema: schemaRef('Drain') })
  @notFound
  @ambiguous
  drain(@Param('id', HostRef) hostId: string, @Body() body: unknown) {
    return this.hosts.drain(hostId, parseBody(CordonBodySchema, body).reason ?? null);
  }
}
