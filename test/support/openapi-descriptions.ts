// Walks an OpenAPI document and lists every schema property, parameter and answer that has no
// description, each with where to write one. Descriptions are written where a schema is defined,
// never patched into the generated document.

type Schema = Record<string, unknown> & {
  $ref?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};

interface Parameter {
  name: string;
  in: string;
  description?: string;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

// Where each kind of missing description is written; the test prints this under the list.
export const WHERE_TO_DESCRIBE = [
  "field: .describe('what it is, unit, bounds, an example') on the zod field where it is defined: a DTO in " +
    'apps/controller/src/dtos/, an inventory record in packages/protocol/src/records.ts, an op parameter in ' +
    'packages/protocol/src/ops/params.ts (the op entry in ops/registry.ts points at it), or another schema in ' +
    'packages/protocol/src/.',
  'parameter: .describe() on the field of the route query schema (apps/controller/src/dtos/), the ' +
    "route's ApiParam/ApiHeader decorator, or the op's route.pathParams in packages/protocol/src/ops/registry.ts.",
  "answer: the route's decorator (ApiOkResponse({ description }), the reply of ApiAdminRoute, CommandRoute in " +
    'apps/controller/src/controllers/command-route.decorators.ts), or applyCommonAnswers in apps/controller/src/openapi.ts ' +
    'for answers every route gives.',
  'Tests read @corral/protocol from its build: run `npm run build` after describing a field there.',
].join('\n');

const described = (text: unknown) => typeof text === 'string' && text.trim().length > 0;

function walkSchema(schema: Schema | undefined, where: string, out: string[]): void {
  if (!schema || typeof schema !== 'object' || schema.$ref) return;
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) {
    walkSchema(branch, where, out);
  }
  if (schema.items) walkSchema(schema.items, `${where}[]`, out);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    walkSchema(schema.additionalProperties, `${where}{}`, out);
  }
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const at = `${where}.${name}`;
    // A $ref stands for a component, which is walked (and described) on its own.
    if (!property.$ref && !described(property.description)) out.push(`field ${at} has no description`);
    walkSchema(property, at, out);
  }
}

// One line per thing lacking a description, naming it (WHERE_TO_DESCRIBE says where to write it).
export function undescribed(doc: OpenApiDocument): string[] {
  const out: string[] = [];
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    walkSchema(schema, `components.schemas.${name}`, out);
  }
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const key = `${method.toUpperCase()} ${path}`;
      for (const param of op.parameters ?? []) {
        const at = `${key} ${param.in} parameter ${param.name}`;
        if (!described(param.description)) out.push(`parameter ${at} has no description`);
        walkSchema(param.schema, at, out);
      }
      for (const [type, body] of Object.entries(op.requestBody?.content ?? {})) {
        walkSchema(body.schema, `${key} body (${type})`, out);
      }
      for (const [status, answer] of Object.entries(op.responses ?? {})) {
        const at = `${key} answer ${status}`;
        if (!described(answer.description)) out.push(`answer ${at} has no description`);
        for (const [type, body] of Object.entries(answer.content ?? {}))
          walkSchema(body.schema, `${at} (${type})`, out);
      }
    }
  }
  return out;
}
