import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type CreateApiToken, CreateApiTokenSchema } from '../dtos/auth.dto.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { ApiTokenService } from '../services/api-token.service.js';
import { type Principal, requestedByOf } from '../services/principal.js';
import { AdminOnly, CurrentPrincipal } from './auth.decorators.js';
import { ApiAdminRoute } from './auth-docs.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('access')
@AdminOnly()
@Controller('api/v1/tokens')
export class TokensController {
  constructor(private readonly tokens: ApiTokenService) {}

  @Post()
  @ApiAdminRoute(
    'Make an API token; its secret is in this answer only',
    { status: 201, description: 'the token, with its secret (shown this once)', schema: 'CreatedApiToken' },
    CreateApiTokenSchema,
  )
  create(
    @Body(new ZodValidationPipe(CreateApiTokenSchema)) body: CreateApiToken,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.tokens.create(body, requestedByOf(principal));
  }

  @Get()
  @ApiAdminRoute('List API tokens (never their secrets)', {
    status: 200,
    description: 'every API token, newest first',
    schema: 'ApiTokenList',
  })
  list() {
    return this.tokens.list();
  }

  @Delete(':id')
  @ApiAdminRoute(
    'Revoke an API token; it is refused from now on',
    { status: 200, description: 'the token, now revoked', schema: 'ApiToken' },
    undefined,
    { id: 'Corral id of the API token (UUID)', uuid: true, notFound: 'no API token has this id' },
  )
  revoke(@Param('id', new ZodValidationPipe(IdParamSchema)) id: string) {
    return this.tokens.revoke(id);
  }
}
