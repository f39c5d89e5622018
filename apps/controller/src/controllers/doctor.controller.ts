import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { type FleetDoctorQuery, FleetDoctorQuerySchema } from '../dtos/doctor.dto.js';
import { DoctorQueryService } from '../services/doctor-query.service.js';
import { ApiGetRoute, ApiZodQuery } from './api-docs.decorators.js';
import { HostRef, REFERENCE_DESCRIPTIONS } from './resolve.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

// What the host doctor found, as the agents last reported it. Running the checks now and repairing
// are commands (POST /hosts/{host}/doctor and /doctor/fix, from the op registry).
@ApiTags('doctor')
@Controller('api/v1')
export class DoctorController {
  constructor(private readonly doctor: DoctorQueryService) {}

  @Get('doctor')
  @ApiOperation({ summary: "The fleet's doctor findings, by host and severity" })
  @ApiZodQuery(FleetDoctorQuerySchema)
  @ApiOkResponse({
    description: "the fleet's findings by severity, and each host that has any",
    schema: schemaRef('FleetDoctor'),
  })
  @ApiBadRequestResponse({ description: 'severity is not critical, warning or info', schema: schemaRef('Error') })
  fleet(@Query(new ZodValidationPipe(FleetDoctorQuerySchema)) query: FleetDoctorQuery) {
    return this.doctor.fleet(query);
  }

  @Get('hosts/:id/doctor')
  @ApiGetRoute("The host doctor's latest findings for one host", 'HostDoctor', REFERENCE_DESCRIPTIONS.host)
  host(@Param('id', HostRef) id: string) {
    return this.doctor.host(id);
  }
}
