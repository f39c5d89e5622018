import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { queryParamSchema, schemaRef } from '../dtos/api-schemas.js';
import { type EnrollRequest, EnrollRequestSchema } from '../dtos/auth.dto.js';
import { EnrollmentService } from '../services/enrollment.service.js';
import { type AuthenticatedRequest, Public } from './auth.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

// Where an agent trades its enrollment token for its own credential; the token is the credential here.
@ApiTags('access')
@Controller('api/v1/enroll')
export class EnrollController {
  constructor(private readonly enrollment: EnrollmentService) {}

  @Post()
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Enroll an agent: trade an enrollment token for the host credential (shown once)',
    description:
      '401 for an unknown token, 403 for one revoked, expired or used up, 409 when the hostname or agent id ' +
      'belongs to an enrolled host and the token does not allow taking it over.',
  })
  @ApiBody({ schema: queryParamSchema(EnrollRequestSchema) })
  @ApiOkResponse({
    description: 'the host id and its agent credential (shown once)',
    schema: schemaRef('EnrollResponse'),
  })
  @ApiUnauthorizedResponse({ description: 'no enrollment token has this secret', schema: schemaRef('Error') })
  @ApiForbiddenResponse({
    description: 'the enrollment token was revoked, expired or used up',
    schema: schemaRef('Error'),
  })
  @ApiConflictResponse({
    description:
      'the hostname or agent id belongs to an enrolled host and the token does not allow a takeover, or another enrollment of it finished first',
    schema: schemaRef('Error'),
  })
  async enroll(
    @Body(new ZodValidationPipe(EnrollRequestSchema)) body: EnrollRequest,
    @Req() req: AuthenticatedRequest,
  ) {
    const enrolled = await this.enrollment.enroll(body);
    req.principal = enrolled.principal;
    return { hostId: enrolled.hostId, credential: enrolled.credential };
  }
}
