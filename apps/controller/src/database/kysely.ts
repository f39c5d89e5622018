import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import type { Pool, PoolClient } from 'pg';
import type { DB } from '../generated/kysely/db.js';

export type { DB } from '../generated/kysely/db.js';
export type Db = Kysely<DB>;

// Typed SQL over the controller's pg.Pool: Kysely compiles, pg runs. Types come from
// prisma/schema.prisma (scripts/kysely-generate.mjs), so a renamed column fails the build.
export function createKysely(pool: Pool): Db {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

// The same, bound to one checked-out client (a transaction's): every query runs on it and nothing
// returns it to the pool; the transaction helper does that.
export function kyselyOn(client: PoolClient): Db {
  const bound = { query: client.query.bind(client), release: () => {} };
  const pool: PostgresPool = {
    connect: async () => bound as never,
    end: async () => {},
  };
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
