import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type HostListQuery, HostListQuerySchema } from '../dtos/list-query.dto.js';
import { HostQueryService } from '../services/host-query.service.js';
import { ApiGetRoute, ApiListRoute } from './api-docs.decorators.js';
import { HostRef, REFERENCE_DESCRIPTIONS } from './resolve.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('hosts')
@Controller('api/v1/hosts')
export class HostsController {
  constructor(private readonly hosts: HostQueryService) {}

  @Get()
  @ApiListRoute('List hosts with their status, facts and inventory counts', 'HostPage', HostListQuerySchema)
  list(@Query(new ZodValidationPipe(HostListQuerySchema)) query: HostListQuery) {
    return this.hosts.list(query);
  }

  @Get(':id')
  @ApiGetRoute('One host', 'Host', REFERENCE_DESCRIPTIONS.host)
  get(@Param('id', HostRef) id: string) {
    return this.hosts.get(id);
  }
}
