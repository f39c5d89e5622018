import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type ImageListQuery, ImageListQuerySchema } from '../dtos/list-query.dto.js';
import { InventoryQueryService } from '../services/inventory-query.service.js';
import { ApiGetRoute, ApiListRoute } from './api-docs.decorators.js';
import { ImageRef, REFERENCE_DESCRIPTIONS } from './resolve.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('images')
@Controller('api/v1/images')
export class ImagesController {
  constructor(private readonly inventory: InventoryQueryService) {}

  @Get()
  @ApiListRoute('List images across the fleet', 'ImagePage', ImageListQuerySchema)
  list(@Query(new ZodValidationPipe(ImageListQuerySchema)) query: ImageListQuery) {
    return this.inventory.list('images', query);
  }

  @Get(':id')
  @ApiGetRoute('One image', 'Image', REFERENCE_DESCRIPTIONS.image)
  get(@Param('id', ImageRef) id: string) {
    return this.inventory.get('images', id);
  }
}
