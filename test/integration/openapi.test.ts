import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMAND_OPS } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import { type OpenApiDocument, undescribed, WHERE_TO_DESCRIBE } from '../support/openapi-descriptions.js';

const GENERATED_CLIENT_DOC = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../packages/client/src/generated/openapi.json',
);

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
  parameters?: { name: string; in: string; schema?: { maximum?: number } }[];
  requestBody?: { content?: Record<string, unknown> };
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, { type: string; scheme: string }> };
}

const PUBLIC = new Set([
  'GET /healthz',
  'GET /readyz',
  'POST /api/v1/enroll',
  'POST /api/v1/session',
  'GET /api/v1/session',
]);

describe('the OpenAPI document (security, descriptions, error answers, bounds) and bodies that are not JSON', () => {
  let ctl: TestController;
  let doc: Document;
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
    );

  beforeAll(async () => {
    ctl = await startTestController();
    doc = (await ctl.get<Document>('/api/docs-json')).body;
  });

  afterAll(async () => {
    await ctl?.close();
  });

  it('declares the bearer scheme, and every operation but the public ones needs it and may answer 401', () => {
    expect(doc.components.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ops = operations();
    expect(ops.length).toBeGreaterThan(60);
    for (const { key, op } of ops) {
      if (PUBLIC.has(key)) {
        expect({ key, security: op.security }).toEqual({ key, security: [] });
        continue;
      }
      expect({ key, security: op.security }).toEqual({ key, security: [{ bearer: [] }] });
      expect({ key, has401: '401' in op.responses }).toEqual({ key, has401: true });
    }
  });

  it('says 403 where a route needs more than a viewer, and names every command route by its op', () => {
    const ops = new Map(operations().map(({ key, op }) => [key, op]));
    expect(ops.get('POST /api/v1/containers/{id}/start')!.responses).toHaveProperty('403');
    expect(ops.get('POST /api/v1/containers/{id}/start')!.operationId).toBe('container.start');
    expect(ops.get('GET /api/v1/audit')!.responses).toHaveProperty('403');
    expect(ops.get('GET /api/v1/containers')!.responses).not.toHaveProperty('403');
  });

  it('describes every schema field, parameter and answer', () => {
    const missing = undescribed(doc as unknown as OpenApiDocument);
    expect(missing, `${missing.length} without a description. Where to write one:\n${WHERE_TO_DESCRIBE}\n`).toEqual([]);
  });

  it('the description check names what lacks one (a field, a parameter, an answer)', () => {
    const sample: OpenApiDocument = {
      components: {
        schemas: {
          Thing: {
            type: 'object',
            properties: {
              kept: { type: 'string', description: 'described' },
              inner: {
                type: 'array',
                description: 'described',
                items: { type: 'object', properties: { bare: { type: 'integer' } } },
              },
            },
          },
        },
      },
      paths: {
        '/things/{id}': {
          get: {
            parameters: [{ name: 'id', in: 'path', schema: { type: 'string' } }],
            responses: { '200': { description: 'the thing' }, '404': { description: ' ' } },
          },
        },
      },
    };
    expect(undescribed(sample)).toEqual([
      'field components.schemas.Thing.inner[].bare has no description',
      'parameter GET /things/{id} path parameter id has no description',
      'answer GET /things/{id} answer 404 has no description',
    ]);
  });

  it('lists the error answers each operation can give', () => {
    const commandOps = new Set<string>(COMMAND_OPS);
    const lacking: string[] = [];
    for (const { key, op } of operations()) {
      const has = (status: string) => status in op.responses;
      const need: string[] = [];
      if (!PUBLIC.has(key)) need.push('401', '429');
      if ((op.parameters?.length ?? 0) > 0 || op.requestBody) need.push('400');
      if (op.requestBody?.content?.['application/json']) need.push('413', '415');
      if (key.includes('{')) need.push('404');
      if (op.operationId && commandOps.has(op.operationId)) need.push('403', '404', '409', '422');
      for (const status of need) if (!has(status)) lacking.push(`${key} ${status}`);
    }
    expect(lacking).toEqual([]);
  });

  it('the typed client is generated from this very document (descriptions included)', () => {
    expect(existsSync(GENERATED_CLIENT_DOC), 'run npm run build: it generates the client from the document').toBe(true);
    const generated = JSON.parse(readFileSync(GENERATED_CLIENT_DOC, 'utf8')) as Document;
    expect(generated.components).toEqual(doc.components);
    expect(generated.paths).toEqual(doc.paths);
  });

  it('gives ?wait its real bound', () => {
    const start = doc.paths['/api/v1/containers/{id}/start']!.post!;
    const wait = start.parameters!.find((p) => p.name === 'wait')!;
    expect(wait.schema?.maximum).toBe(120);
  });

  it('answers 415 for a body that is not JSON, on command routes and the rest alike', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const command = await ctl.request<{ error: string; message: string }>(
      'POST',
      '/api/v1/hosts/nowhere/containers',
      JSON.stringify({ runtime: 'docker', image: 'busybox' }),
      form,
    );
    expect(command.status).toBe(415);
    expect(command.body.message).toMatch(/application\/json/);
    const token = await ctl.request('POST', '/api/v1/tokens', '{"name":"x","role":"viewer"}', {
      'content-type': 'text/plain',
    });
    expect(token.status).toBe(415);
    expect(await ctl.prisma.command.count()).toBe(0);
    expect(await ctl.prisma.apiToken.count({ where: { name: 'x' } })).toBe(0);
  });

  it('refuses ?wait past its bound with 400 naming it', async () => {
    const reply = await ctl.request<{ field: string }>('POST', '/api/v1/hosts/nowhere/refresh?wait=121', {});
    expect(reply.status).toBe(400);
    expect(reply.body.field).toBe('wait');
  });
});
