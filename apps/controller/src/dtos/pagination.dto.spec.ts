import { describe, expect, it } from 'vitest';
import {
  type Cursor,
  CursorParamSchema,
  decodeCursor,
  encodeCursor,
  LimitParamSchema,
  toPage,
} from './pagination.dto.js';

const id = '3b241101-e2bb-4255-8caf-4136c566a962';

describe('cursor codec', () => {
  it('round-trips sort keys with any characters, opaque and URL-safe', () => {
    for (const key of ['web-1', '', 'ünïcode/with spaces+and=signs', '10.0.3.55', 'sha256:ff', '"quoted"']) {
      const sut = encodeCursor({ key, id });
      expect(sut).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(sut)).toEqual({ key, id });
    }
  });

  it('rejects anything it did not produce', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const bad = [
      '',
      'not base64!',
      b64('not json'),
      b64('{"key":"a","id":"b"}'),
      b64(`["a"]`),
      b64(`["a","not-a-uuid"]`),
      b64(`[1,"${id}"]`),
      b64(`["a","${id}","extra"]`),
      `${encodeCursor({ key: 'a', id })}=`,
    ];
    for (const text of bad) expect(decodeCursor(text), text).toBeNull();
  });
});

describe('page parameters', () => {
  it('defaults the limit to 100 and bounds it to 1..1000', () => {
    expect(LimitParamSchema.parse(undefined)).toBe(100);
    expect(LimitParamSchema.parse('1000')).toBe(1000);
    for (const bad of ['0', '1001', '2.5', 'ten', '-1'])
      expect(LimitParamSchema.safeParse(bad).success, bad).toBe(false);
  });

  it('decodes the cursor parameter and reports a malformed one', () => {
    const cursor: Cursor = { key: 'c1', id };
    expect(CursorParamSchema.parse(encodeCursor(cursor))).toEqual(cursor);
    expect(CursorParamSchema.parse(undefined)).toBeUndefined();
    const result = CursorParamSchema.safeParse('%%%');
    expect(result.error?.issues[0]?.message).toContain('malformed cursor');
  });
});

describe('toPage', () => {
  const rows = ['a', 'b', 'c'].map((name, i) => ({ name, id: `${id.slice(0, -1)}${i}` }));
  const cursorOf = (r: { name: string; id: string }) => ({ key: r.name, id: r.id });

  it('keeps limit rows and points the cursor at the last one kept when more exist', () => {
    const sut = toPage(rows, 2, cursorOf, (r) => r.name);
    expect(sut.items).toEqual(['a', 'b']);
    expect(decodeCursor(sut.nextCursor!)).toEqual(cursorOf(rows[1]!));
  });

  it('ends with a null cursor when nothing is left', () => {
    expect(toPage(rows, 3, cursorOf, (r) => r.name)).toEqual({ items: ['a', 'b', 'c'], nextCursor: null });
    expect(toPage([], 3, cursorOf, (r) => r)).toEqual({ items: [], nextCursor: null });
  });
});
