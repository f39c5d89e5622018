import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
} from '@nestjs/swagger';
import type { z } from 'zod';
import { type ApiSchemaName, queryParamSchema, schemaRef } from '../dtos/api-schemas.js';

const badRequest = (description: string) => ApiBadRequestResponse({ description, schema: schemaRef('Error') });

// One OpenAPI query parameter per key of the zod object the route validates its query with.
export function ApiZodQuery(schema: z.ZodObject) {
  return applyDecorators(
    ...Object.entries(schema.shape).map(([name, field]) =>
      ApiQuery({
        name,
        required: !field.safeParse(undefined).success,
        description: field.description,
        schema: queryParamSchema(field),
      }),
    ),
  );
}

export function ApiListRoute(summary: string, page: ApiSchemaName, query: z.ZodObject) {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiZodQuery(query),
    ApiOkResponse({ description: 'one page, in stable order', schema: schemaRef(page) }),
    badRequest('a parameter is malformed or unknown; `field` names it'),
  );
}

// A GET of one row: by Corral id only, or (with `reference`) by whatever names it.
export function ApiGetRoute(summary: string, item: ApiSchemaName, reference?: string) {
  if (!reference) {
    return applyDecorators(
      ApiOperation({ summary }),
      ApiParam({ name: 'id', description: 'Corral id (UUID)', schema: { type: 'string', format: 'uuid' } }),
      ApiOkResponse({ description: `the ${item.toLowerCase()}`, schema: schemaRef(item) }),
      badRequest('the id is not a UUID'),
      ApiNotFoundResponse({ description: 'no row with this id', schema: schemaRef('Error') }),
    );
  }
  return applyDecorators(
    ApiOperation({ summary }),
    ApiParam({ name: 'id', description: reference, schema: { type: 'string', minLength: 1, maxLength: 512 } }),
    ApiOkResponse({ description: `the ${item.toLowerCase()}`, schema: schemaRef(item) }),
    badRequest('the reference holds control characters'),
    ApiNotFoundResponse({ description: 'nothing has this id or name', schema: schemaRef('Error') }),
    ApiConflictResponse({
      description: 'the name fits several rows; `candidates` lists them',
      schema: schemaRef('Error'),
    }),
  );
}
