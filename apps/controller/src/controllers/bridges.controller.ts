import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type BridgeListQuery, BridgeListQuerySchema, IdParamSchema } from '../dtos/list-query.dto.js';
import { InventoryQueryService } from '../services/inventory-query.service.js';
import { ApiGetRoute, ApiListRoute } from './api-docs.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('bridges')
@Controller('api/v1/bridges')
export class BridgesController {
  constructor(private readonly inventory: InventoryQueryService) {}

  @Get()
  @ApiListRoute('List host bridges across the fleet', 'BridgePage', BridgeListQuerySchema)
  list(@Query(new ZodValidationPipe(BridgeListQuerySchema)) query: BridgeListQuery) {
    return this.inventory.list('bridges', query);
  }

  @Get(':id')
  @ApiGetRoute('One bridge', 'Bridge')
  get(@Param('id', new ZodValidationPipe(IdParamSchema)) id: string) {
    return this.inventory.get('bridges', id);
  }
}
