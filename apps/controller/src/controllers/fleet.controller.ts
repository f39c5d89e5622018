import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { FleetQueryService } from '../services/fleet-query.service.js';

@ApiTags('fleet')
@Controller('api/v1/fleet')
export class FleetController {
  constructor(private readonly fleet: FleetQueryService) {}

  @Get('summary')
  @ApiOperation({ summary: 'Hosts by status, containers by runtime and state, inventory totals' })
  @ApiOkResponse({ description: 'counts across the fleet, offline hosts included', schema: schemaRef('FleetSummary') })
  summary() {
    return this.fleet.summary();
  }
}
