import type { z } from 'zod';
import { BadRequestError } from '../services/errors.js';

// A JSON body parsed with `schema`; the first problem answers 400 naming its full path (spec.image).
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const value = body === undefined || body === null ? {} : body;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new BadRequestError('body must be a JSON object', 'body');
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const field = [...path, issue.keys[0]].join('.');
    throw new BadRequestError(`unknown parameter ${issue.keys.map((k) => [...path, k].join('.')).join(', ')}`, field);
  }
  const field = path.length > 0 ? path.join('.') : 'body';
  throw new BadRequestError(`${field}: ${issue.message}`, field);
}
