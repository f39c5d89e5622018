import { describe, expect, it } from 'vitest';
import { copyEscape, copyLine, copyValue, pgJson, storedValue } from './pg-encoding.js';

describe('COPY text encoding', () => {
  it('escapes what would end a column or a line, and drops NUL', () => {
    expect(copyEscape('plain text')).toBe('plain text');
    expect(copyEscape('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyEscape('nul\u0000here')).toBe('nulhere');
    // The same answer every time (no regex state carried between calls).
    expect([1, 2, 3].map(() => copyEscape('x\ty'))).toEqual(['x\\ty', 'x\\ty', 'x\\ty']);
  });

  it('writes each column type as Postgres reads it back', () => {
    expect(copyValue('text', null)).toBe('\\N');
    expect(copyValue('text', undefined)).toBe('\\N');
    expect(copyValue('text', 'web\t1')).toBe('web\\t1');
    expect(copyValue('integer', 42)).toBe('42');
    expect(copyValue('bigint', 2 ** 40)).toBe('1099511627776');
    expect(copyValue('boolean', true)).toBe('t');
    expect(copyValue('boolean', false)).toBe('f');
    expect(copyValue('timestamptz', '2026-11-29T09:00:00.123Z')).toBe('2026-11-29T09:00:00.123Z');
    expect(copyValue('text[]', [])).toBe('{}');
    // Array elements are quoted; quotes and backslashes in them escaped, then the literal COPY-escaped.
    expect(copyValue('text[]', ['10.0.3.5', 'a"b', 'c\\d'])).toBe('{"10.0.3.5","a\\\\"b","c\\\\\\\\d"}');
    expect(copyValue('jsonb', { cmd: 'echo "hi"\n', n: null })).toBe('{"cmd":"echo \\\\"hi\\\\"\\\\n","n":null}');
    expect(copyValue('jsonb', { s: 'a\u0000b' })).toBe('{"s":"ab"}');
  });

  it('joins columns with tabs and ends the line', () => {
    expect(copyLine(['a', '\\N', 'c'])).toBe('a\t\\N\tc\n');
  });

  it('pgJson drops escaped NUL but keeps an escaped backslash before a literal "u0000"', () => {
    expect(pgJson({ s: 'a\u0000b' })).toBe('{"s":"ab"}');
    expect(pgJson({ s: 'a\\u0000b' })).toBe('{"s":"a\\\\u0000b"}');
  });
});

describe('storedValue', () => {
  it('gives what pg reads back from the stored column', () => {
    expect(storedValue('text', 'a\u0000b')).toBe('ab');
    expect(storedValue('text[]', ['x\u0000', 'y'])).toEqual(['x', 'y']);
    expect(storedValue('timestamptz', '2026-11-29T09:00:00.123Z')).toEqual(new Date('2026-11-29T09:00:00.123Z'));
    expect(storedValue('boolean', false)).toBe(false);
    expect(storedValue('bigint', 5)).toBe('5');
    expect(storedValue('jsonb', { a: [1] })).toEqual({ a: [1] });
    expect(storedValue('integer', undefined)).toBeNull();
  });
});
