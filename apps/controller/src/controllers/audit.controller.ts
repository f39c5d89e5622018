import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type AuditQuery, AuditQuerySchema } from '../dtos/auth.dto.js';
import { AuditService } from '../services/audit.service.js';
import { ApiZodQuery } from './api-docs.decorators.js';
import { AdminOnly } from './auth.decorators.js';
import { ApiAdminRoute } from './auth-docs.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@ApiTags('access')
@AdminOnly()
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiAdminRoute('The audit log, newest first: who did what to what, and how it ended', {
    status: 200,
    description: 'one page of entries, newest first',
    schema: 'AuditPage',
  })
  @ApiZodQuery(AuditQuerySchema)
  list(@Query(new ZodValidationPipe(AuditQuerySchema)) query: AuditQuery) {
    return this.audit.list(query);
  }
}
