import { Controller, Get, Param } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { IpAddressSchema } from '../dtos/list-query.dto.js';
import { IpLookupService } from '../services/ip-lookup.service.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('fleet')
@Controller('api/v1/ip')
export class IpController {
  constructor(private readonly ip: IpLookupService) {}

  @Get(':address')
  @ApiOperation({ summary: 'Everything holding an IP address: containers, leases, bridges, Docker networks' })
  @ApiParam({
    name: 'address',
    description: 'IPv4 or IPv6 address, e.g. 10.0.3.17 or fd00::5 (any case)',
    schema: { type: 'string' },
  })
  @ApiOkResponse({ description: 'every holder of the address', schema: schemaRef('IpLookup') })
  @ApiBadRequestResponse({ description: 'not an IP address', schema: schemaRef('Error') })
  @ApiNotFoundResponse({ description: 'nothing in the inventory holds the address', schema: schemaRef('Error') })
  lookup(@Param('address', new ZodValidationPipe(IpAddressSchema)) address: string) {
    return this.ip.lookup(address);
  }
}
