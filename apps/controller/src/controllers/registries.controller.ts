import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { RegistryInputSchema } from '../dtos/registry.dto.js';
import { type Principal, requestedByOf } from '../services/principal.js';
import { RegistryService } from '../services/registry.service.js';
import { AdminOnly, CurrentPrincipal } from './auth.decorators.js';
import { ApiAdminRoute } from './auth-docs.decorators.js';
import { parseBody } from './body.parser.js';

// Registries pulls authenticate to (admin only). Answers never carry the secret.
@ApiTags('images')
@AdminOnly()
@Controller('api/v1/registries')
export class RegistriesController {
  constructor(private readonly registries: RegistryService) {}

  @Get()
  @ApiAdminRoute('List registries (without their secrets)', {
    status: 200,
    description: 'every registry, by address; never a password or token',
    schema: 'RegistryList',
  })
  list() {
    return this.registries.list();
  }

  @Post()
  @ApiAdminRoute(
    'Add a registry: pulls from its address authenticate with this username and password or token',
    {
      status: 201,
      description: 'the registry added (its secret is stored encrypted and never returned)',
      schema: 'Registry',
    },
    RegistryInputSchema,
  )
  @ApiConflictResponse({
    description: 'a registry with this address exists; remove it first',
    schema: schemaRef('Error'),
  })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    return this.registries.create(parseBody(RegistryInputSchema, body), requestedByOf(principal));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiAdminRoute('Remove a registry and its credential', { status: 204, description: 'removed' }, undefined, {
    id: 'the registry: Corral id or address (host[:port])',
    notFound: 'no registry has this id or address',
  })
  async remove(@Param('id') id: string): Promise<void> {
    await this.registries.remove(id);
  }
}
