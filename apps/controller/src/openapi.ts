import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { Access } from './controllers/auth.decorators.js';
import { JSON_BODY_LIMIT_BYTES } from './controllers/content-type.middleware.js';
import { apiComponentSchemas, schemaRef } from './dtos/api-schemas.js';

type Operation = Record<string, unknown> & {
  responses?: Record<string, unknown>;
  parameters?: unknown[];
  requestBody?: { content?: Record<string, unknown> };
};

const SAFE = new Set(['get', 'head']);

// Every operation says who may call it: the bearer scheme (or none, for public routes), 401 for
// a missing or bad token and 403 where the route needs more than the viewer role.
export function applyAccess(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const [method, value] of Object.entries(item)) {
      if (typeof value !== 'object' || value === null || !('responses' in value)) continue;
      const op = value as Operation;
      const access = op['x-corral-access'] as Access | undefined;
      if (access && 'public' in access) {
        op.security = [];
        continue;
      }
      const role = access?.role ?? (SAFE.has(method) ? 'viewer' : 'operator');
      op.security = [{ bearer: [] }];
      op.responses ??= {};
      op.responses['401'] ??= {
        description: 'no token, or an unknown, revoked or expired one (WWW-Authenticate: Bearer)',
        content: { 'application/json': { schema: schemaRef('Error') } },
      };
      if (role !== 'viewer') {
        op.responses['403'] ??= {
          description: `the token's role is below ${role}`,
          content: { 'application/json': { schema: schemaRef('Error') } },
        };
      }
      const agents =
        access && 'agents' in access && access.agents ? ' (or the agent credential of the host it is for)' : '';
      const note = `Needs a ${role} token${agents}.`;
      const description = typeof op.description === 'string' ? op.description : '';
      if (!description.includes('Needs ')) op.description = description ? `${description}\n\n${note}` : note;
    }
  }
}

const errorAnswer = (description: string) => ({
  description,
  content: { 'application/json': { schema: schemaRef('Error') } },
});

// Answers that come from what every route goes through rather than from the route itself: the
// text check of every input and the parsing of its body (400), the JSON body limit (413), the
// JSON-only body rule (415) and the per-token request rate (429). A route's own wording wins.
export function applyCommonAnswers(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const value of Object.values(item)) {
      if (typeof value !== 'object' || value === null || !('responses' in value)) continue;
      const op = value as Operation;
      op.responses ??= {};
      const json = op.requestBody?.content?.['application/json'] !== undefined;
      if ((op.parameters?.length ?? 0) > 0 || json) {
        op.responses['400'] ??= errorAnswer(
          'a parameter or body field is malformed, out of bounds, unknown or holds a NUL; `field` names it',
        );
      }
      if (json) {
        op.responses['413'] ??= errorAnswer(`the JSON body is larger than ${JSON_BODY_LIMIT_BYTES} bytes`);
        op.responses['415'] ??= errorAnswer('a body sent without Content-Type: application/json');
      }
      const bearer = Array.isArray(op.security) && op.security.length > 0;
      if (bearer) {
        op.responses['429'] ??= {
          ...errorAnswer(
            "past the token's request rate (CORRAL_REQUESTS_PER_SECOND_PER_TOKEN, default 1000/s); try again after Retry-After seconds",
          ),
          headers: {
            'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } },
          },
        };
      }
    }
  }
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Corral')
    .setDescription(
      'Fleet inventory of Docker and LXC hosts, and remote operations on them. Every call but health, readiness and enrollment takes an API token: `Authorization: Bearer crl_api_...` (Authorize above).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API token (crl_api_...)' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // Response schemas come from the zod DTOs; routes point at them with $ref.
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...apiComponentSchemas() },
  };
  applyAccess(document);
  applyCommonAnswers(document);
  return document;
}

export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
    swaggerOptions: { persistAuthorization: false },
  });
}
