import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiForbiddenResponse, ApiOperation, ApiResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { z } from 'zod';
import { type ApiSchemaName, queryParamSchema, schemaRef } from '../dtos/api-schemas.js';

// OpenAPI of an admin route: summary, optional JSON body, its answer, and the 401/403 it may give.
export function ApiAdminRoute(summary: string, reply: { status: number; schema?: ApiSchemaName }, body?: z.ZodType) {
  return applyDecorators(
    ApiOperation({ summary, description: 'Needs an admin token.' }),
    ...(body ? [ApiBody({ schema: queryParamSchema(body) })] : []),
    ApiResponse(
      reply.schema
        ? { status: reply.status, schema: schemaRef(reply.schema) }
        : { status: reply.status, description: 'done' },
    ),
    ApiUnauthorizedResponse({
      description: 'no token, or an invalid, revoked or expired one',
      schema: schemaRef('Error'),
    }),
    ApiForbiddenResponse({ description: 'the token is not an admin token', schema: schemaRef('Error') }),
  );
}
