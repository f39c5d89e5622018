import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type CreateEnrollmentToken, CreateEnrollmentTokenSchema } from '../dtos/auth.dto.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { EnrollmentService } from '../services/enrollment.service.js';
import { type Principal, requestedByOf } from '../services/principal.js';
import { AdminOnly, CurrentPrincipal } from './auth.decorators.js';
import { ApiAdminRoute } from './auth-docs.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('access')
@AdminOnly()
@Controller('api/v1/enrollment-tokens')
export class EnrollmentTokensController {
  constructor(private readonly enrollment: EnrollmentService) {}

  @Post()
  @ApiAdminRoute(
    'Make an enrollment token for agents (CORRAL_ENROLLMENT_TOKEN); its secret is in this answer only',
    { status: 201, description: 'the token, with its secret (shown this once)', schema: 'CreatedEnrollmentToken' },
    CreateEnrollmentTokenSchema,
  )
  create(
    @Body(new ZodValidationPipe(CreateEnrollmentTokenSchema)) body: CreateEnrollmentToken,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.enrollment.createToken(body, requestedByOf(principal));
  }

  @Get()
  @ApiAdminRoute('List enrollment tokens with their uses (never their secrets)', {
    status: 200,
    description: 'every enrollment token, newest first',
    schema: 'EnrollmentTokenList',
  })
  list() {
    return this.enrollment.listTokens();
  }

  @Delete(':id')
  @ApiAdminRoute(
    'Revoke an enrollment token',
    { status: 200, description: 'the token, now revoked', schema: 'EnrollmentToken' },
    undefined,
    { id: 'Corral id of the enrollment token (UUID)', uuid: true, notFound: 'no enrollment token has this id' },
  )
  revoke(@Param('id', new ZodValidationPipe(IdParamSchema)) id: string) {
    return this.enrollment.revokeToken(id);
  }
}
