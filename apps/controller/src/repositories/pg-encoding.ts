import type { PgType } from './inventory-tables.js';

// Postgres text and jsonb cannot hold NUL; an engine string carrying one must not poison the ingest.
// The scan for an escaped NUL is cheap; the rewrite only runs when there is one.
export const pgJson = (value: unknown): string => {
  const json = JSON.stringify(value);
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1') : json;
};

// Postgres COPY text format: one line per row, tab between columns, \N for NULL, and backslash
// escapes for the backslash, tab, newline and carriage return. Text cannot hold NUL in Postgres, so
// NUL characters are dropped here, as the JSON ingest drops them (see pgJson).

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\u0000': '' };
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters COPY cannot carry
const SPECIAL = /[\\\t\n\r\u0000]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above (not global: test() keeps no state)
const HAS_SPECIAL = /[\\\t\n\r\u0000]/;

export const copyEscape = (s: string): string => (HAS_SPECIAL.test(s) ? s.replace(SPECIAL, (c) => ESCAPES[c]!) : s);

// An array literal: every element quoted, quotes and backslashes inside escaped.
const arrayLiteral = (items: unknown[]) =>
  `{${items
    .map((e) =>
      e === null || e === undefined ? 'NULL' : `"${String(e).replaceAll('\u0000', '').replace(/["\\]/g, '\\$&')}"`,
    )
    .join(',')}}`;

// One value of a column of the given type, as COPY text.
export function copyValue(type: PgType, value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  switch (type) {
    case 'text':
      return copyEscape(String(value));
    case 'text[]':
      return copyEscape(arrayLiteral(value as unknown[]));
    case 'jsonb':
      return copyEscape(pgJson(value));
    case 'boolean':
      return value ? 't' : 'f';
    case 'timestamptz':
      return copyEscape(value instanceof Date ? value.toISOString() : String(value));
    case 'bigint':
    case 'integer':
      return String(value);
  }
}

export const copyLine = (values: string[]): string => `${values.join('\t')}\n`;

// A value as Postgres stores it and pg reads it back: NUL dropped from text, timestamps as Date
// (to the millisecond; the columns keep three digits).
export function storedValue(type: PgType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'text':
      return String(value).replaceAll('\u0000', '');
    case 'text[]':
      return (value as unknown[]).map((e) => (typeof e === 'string' ? e.replaceAll('\u0000', '') : e));
    case 'jsonb':
      return JSON.parse(pgJson(value));
    case 'timestamptz':
      return new Date(value as string);
    case 'bigint':
      return String(value);
    default:
      return value;
  }
}
