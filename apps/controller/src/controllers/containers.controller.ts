import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type ContainerListQuery, ContainerListQuerySchema } from '../dtos/list-query.dto.js';
import { InventoryQueryService } from '../services/inventory-query.service.js';
import { ApiGetRoute, ApiListRoute } from './api-docs.decorators.js';
import { ContainerRef, REFERENCE_DESCRIPTIONS } from './resolve.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('containers')
@Controller('api/v1/containers')
export class ContainersController {
  constructor(private readonly inventory: InventoryQueryService) {}

  @Get()
  @ApiListRoute('List Docker and LXC containers across the fleet', 'ContainerPage', ContainerListQuerySchema)
  list(@Query(new ZodValidationPipe(ContainerListQuerySchema)) query: ContainerListQuery) {
    return this.inventory.list('containers', query);
  }

  @Get(':id')
  @ApiGetRoute('One container', 'Container', REFERENCE_DESCRIPTIONS.container)
  get(@Param('id', ContainerRef) id: string) {
    return this.inventory.get('containers', id);
  }
}
