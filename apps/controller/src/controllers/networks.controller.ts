import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type NetworkListQuery, NetworkListQuerySchema } from '../dtos/list-query.dto.js';
import { InventoryQueryService } from '../services/inventory-query.service.js';
import { ApiGetRoute, ApiListRoute } from './api-docs.decorators.js';
import { NetworkRef, REFERENCE_DESCRIPTIONS } from './resolve.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('networks')
@Controller('api/v1/networks')
export class NetworksController {
  constructor(private readonly inventory: InventoryQueryService) {}

  @Get()
  @ApiListRoute('List Docker networks across the fleet', 'NetworkPage', NetworkListQuerySchema)
  list(@Query(new ZodValidationPipe(NetworkListQuerySchema)) query: NetworkListQuery) {
    return this.inventory.list('networks', query);
  }

  @Get(':id')
  @ApiGetRoute('One network', 'Network', REFERENCE_DESCRIPTIONS.network)
  get(@Param('id', NetworkRef) id: string) {
    return this.inventory.get('networks', id);
  }
}
