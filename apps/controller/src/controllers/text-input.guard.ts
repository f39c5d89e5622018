import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { BadRequestError } from '../services/errors.js';

interface Request {
  query?: unknown;
  body?: unknown;
  params?: Record<string, string>;
}

// NUL, and UTF-16 halves without their pair, which no text column can hold.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is refused here.
const INVALID = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// The first string (or key) in `value` holding a character no text can carry, by its path.
export function invalidTextField(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return INVALID.test(value) ? path : null;
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value as Record<string, unknown>);
  for (const [key, item] of entries) {
    const at = path ? `${path}.${key}` : String(key);
    if (typeof key === 'string' && INVALID.test(key)) return at;
    const found = invalidTextField(item, at, depth + 1);
    if (found) return found;
  }
  return null;
}

// Every filter, path parameter and JSON body field is checked for NUL and broken characters before
// any route runs: 400 naming the field, instead of a database error (500) or a silently changed value.
@Injectable()
export class TextInputGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const field =
      invalidTextField(req.params ?? {}, '') ??
      invalidTextField(req.query ?? {}, '') ??
      (Buffer.isBuffer(req.body) ? null : invalidTextField(req.body ?? {}, ''));
    if (field !== null) {
      throw new BadRequestError(
        `${field || 'body'}: contains a NUL or an invalid character; send text without them`,
        field || 'body',
      );
    }
    return true;
  }
}
