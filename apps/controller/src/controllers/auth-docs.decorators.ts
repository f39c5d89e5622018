import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { z } from 'zod';
import { type ApiSchemaName, queryParamSchema, schemaRef } from '../dtos/api-schemas.js';

export interface AdminReply {
  status: number;
  description: string;
  schema?: ApiSchemaName;
}

// What an admin route names in its path and the answers that follow from it.
export interface AdminTarget {
  // Description of the `{id}` path parameter, and whether it must be a UUID (else any reference).
  id: string;
  uuid?: boolean;
  // When nothing has that id (404).
  notFound: string;
  // When the change would clash with what exists (409).
  conflict?: string;
}

// OpenAPI of an admin route: summary, optional JSON body, its answer, the 401/403 it may give and,
// for a route naming something by `{id}`, the parameter and its 404 (and 409).
export function ApiAdminRoute(summary: string, reply: AdminReply, body?: z.ZodType, target?: AdminTarget) {
  return applyDecorators(
    ApiOperation({ summary, description: 'Needs an admin token.' }),
    ...(body ? [ApiBody({ schema: queryParamSchema(body) })] : []),
    ApiResponse({
      status: reply.status,
      description: reply.description,
      ...(reply.schema ? { schema: schemaRef(reply.schema) } : {}),
    }),
    ApiUnauthorizedResponse({
      description: 'no token, or an invalid, revoked or expired one',
      schema: schemaRef('Error'),
    }),
    ApiForbiddenResponse({ description: 'the token is not an admin token', schema: schemaRef('Error') }),
    ...(target
      ? [
          ApiParam({
            name: 'id',
            description: target.id,
            schema: target.uuid ? { type: 'string', format: 'uuid' } : { type: 'string', minLength: 1, maxLength: 512 },
          }),
          ApiNotFoundResponse({ description: target.notFound, schema: schemaRef('Error') }),
        ]
      : []),
    ...(target?.conflict ? [ApiConflictResponse({ description: target.conflict, schema: schemaRef('Error') })] : []),
  );
}
