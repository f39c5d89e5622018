import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IdParamSchema, type LeaseListQuery, LeaseListQuerySchema } from '../dtos/list-query.dto.js';
import { InventoryQueryService } from '../services/inventory-query.service.js';
import { ApiGetRoute, ApiListRoute } from './api-docs.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('leases')
@Controller('api/v1/leases')
export class LeasesController {
  constructor(private readonly inventory: InventoryQueryService) {}

  @Get()
  @ApiListRoute('List DHCP leases across the fleet', 'LeasePage', LeaseListQuerySchema)
  list(@Query(new ZodValidationPipe(LeaseListQuerySchema)) query: LeaseListQuery) {
    return this.inventory.list('leases', query);
  }

  @Get(':id')
  @ApiGetRoute('One lease', 'Lease')
  get(@Param('id', new ZodValidationPipe(IdParamSchema)) id: string) {
    return this.inventory.get('leases', id);
  }
}
