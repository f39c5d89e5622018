import { createHash } from 'node:crypto';
import type { QueryResult, QueryResultRow } from 'pg';

// Something that runs pg queries: a pool or a client checked out of it.
interface Queryable {
  query<R extends QueryResultRow>(config: { name?: string; text: string; values?: unknown[] }): Promise<QueryResult<R>>;
}

const names = new Map<string, string>();

// The name of a fixed statement text: the same on every connection and in every replica.
export function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `corral_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

// Runs a statement the hot paths run many times a second as a named (prepared) statement: Postgres
// parses and plans it once per connection instead of on every call. Only for fixed texts: each text
// is kept as one statement per connection for the connection's life. When the table it reads
// changed shape since it was prepared (a migration by a newer replica), Postgres refuses the cached
// plan; the call is then run unnamed, and the connection prepares it again once the pool replaces it.
export async function runPrepared<R extends QueryResultRow>(
  on: Queryable,
  text: string,
  values: unknown[],
): Promise<QueryResult<R>> {
  try {
    return await on.query<R>({ name: statementName(text), text, values });
  } catch (err) {
    if ((err as { code?: string }).code !== CACHED_PLAN_CHANGED) throw err;
    return on.query<R>({ text, values });
  }
}

// feature_not_supported: "cached plan must not change result type".
const CACHED_PLAN_CHANGED = '0A000';
