import { z } from 'zod';

// Position after the last row of a page: its sort value and its id (the tie-breaker).
export interface Cursor {
  key: string;
  id: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

const CursorPayloadSchema = z.tuple([z.string(), z.guid()]);

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id]), 'utf8').toString('base64url');
}

// Null for anything that is not a cursor this API produced; the caller answers 400.
export function decodeCursor(text: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = CursorPayloadSchema.safeParse(payload);
  return parsed.success ? { key: parsed.data[0], id: parsed.data[1] } : null;
}

export const LimitParamSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_LIMIT)
  .default(DEFAULT_LIMIT)
  .describe(`page size, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`);

export const CursorParamSchema = z
  .string()
  .transform((text, ctx) => {
    const cursor = decodeCursor(text);
    if (!cursor) {
      ctx.addIssue({ code: 'custom', message: 'malformed cursor; pass nextCursor from the previous page unchanged' });
      return z.NEVER;
    }
    return cursor;
  })
  .optional()
  .describe('nextCursor of the previous page; omit for the first page');

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item).describe('the rows of this page, in the list order (at most `limit`)'),
    nextCursor: z.string().nullable().describe('pass as `cursor` to get the next page; null on the last page'),
  });
}

// Turns rows fetched with limit + 1 into a page: the extra row only says that more exist.
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  cursorOf: (row: Row) => Cursor,
  toItem: (row: Row) => Item,
): Page<Item> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(toItem),
    nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null,
  };
}
