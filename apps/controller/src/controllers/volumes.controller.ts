import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type VolumeListQuery, VolumeListQuerySchema } from '../dtos/list-query.dto.js';
import { InventoryQueryService } from '../services/inventory-query.service.js';
import { VolumeHistoryService } from '../services/volume-history.service.js';
import { ApiGetRoute, ApiListRoute } from './api-docs.decorators.js';
import { REFERENCE_DESCRIPTIONS, VolumeRef } from './resolve.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('volumes')
@Controller('api/v1/volumes')
export class VolumesController {
  constructor(
    private readonly inventory: InventoryQueryService,
    private readonly history: VolumeHistoryService,
  ) {}

  @Get()
  @ApiListRoute('List volumes across the fleet', 'VolumePage', VolumeListQuerySchema)
  list(@Query(new ZodValidationPipe(VolumeListQuerySchema)) query: VolumeListQuery) {
    return this.inventory.list('volumes', query);
  }

  @Get(':id')
  @ApiGetRoute('One volume, with the images that have mounted it', 'VolumeDetail', REFERENCE_DESCRIPTIONS.volume)
  get(@Param('id', VolumeRef) id: string) {
    return this.history.get(id);
  }
}
