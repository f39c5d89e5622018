import { type RawBuilder, sql } from 'kysely';

// `column = ANY($1)`: one array parameter however many values, so the statement text stays the same.
export const anyOf = <T>(values: readonly T[]): RawBuilder<T> => sql<T>`ANY(${values})`;
