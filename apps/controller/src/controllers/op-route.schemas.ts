import { COMMAND_PARAMS, type CommandOp, opSpec } from '@corral/protocol';
import { z } from 'zod';
import { commandQuery, FlagParamSchema } from '../dtos/command.dto.js';

// The params an op takes as query parameters (routes with paramsFrom query or upload): booleans as
// flags, numbers as decimal text, strings as they are. The op's own schema checks them afterwards.
function asQueryParam(field: z.ZodType): z.ZodType {
  let inner: z.ZodType = field;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) {
    inner = (inner as z.ZodDefault<z.ZodType> | z.ZodOptional<z.ZodType>).unwrap() as z.ZodType;
  }
  const described = (schema: z.ZodType) => (field.description ? schema.describe(field.description) : schema);
  if (inner instanceof z.ZodBoolean) return described(FlagParamSchema.optional());
  if (inner instanceof z.ZodNumber) return described(z.coerce.number().optional());
  // The op's own bound on a string (reference: 511 characters), so the query shows it too.
  const max = inner instanceof z.ZodString ? inner.maxLength : null;
  return described((max === null ? z.string() : z.string().max(max)).optional());
}

// Path parameters that fill params (every one but the target's {id} or {host}).
export function paramPathNames(op: CommandOp): string[] {
  return Object.keys(opSpec(op).route.pathParams).filter((name) => name !== 'id' && name !== 'host');
}

// Built once per op: a zod schema costs far more to build than to run (a quarter of a millisecond
// per request when it was built per request).
const querySchemas = new Map<CommandOp, z.ZodObject>();

// The query a command route takes: wait and deadline, plus the op's params for query and upload routes.
export function commandQuerySchema(op: CommandOp): z.ZodObject {
  let schema = querySchemas.get(op);
  if (!schema) {
    schema = buildQuerySchema(op);
    querySchemas.set(op, schema);
  }
  return schema;
}

function buildQuerySchema(op: CommandOp): z.ZodObject {
  const { route } = opSpec(op);
  if (route.paramsFrom !== 'query' && route.paramsFrom !== 'upload') return z.strictObject(commandQuery);
  const params = COMMAND_PARAMS[op] as unknown as z.ZodObject;
  const fromPath = new Set([...paramPathNames(op), ...(route.paramsFrom === 'upload' ? ['uploadId'] : [])]);
  const fields = Object.fromEntries(
    Object.entries(params.shape)
      .filter(([name]) => !fromPath.has(name))
      .map(([name, field]) => [name, asQueryParam(field as z.ZodType)]),
  );
  return z.strictObject({ ...commandQuery, ...fields });
}

// The JSON body a command route takes (null: none): the op's params less those in its path.
export function commandBodySchema(op: CommandOp): z.ZodType | null {
  const { route } = opSpec(op);
  if (route.paramsFrom !== 'body') return null;
  const params = COMMAND_PARAMS[op] as z.ZodType;
  const fromPath = paramPathNames(op);
  if (fromPath.length === 0 || !(params instanceof z.ZodObject)) return params;
  return params.omit(Object.fromEntries(fromPath.map((name) => [name, true])) as Record<string, true>);
}
