import type { Pool, PoolClient } from 'pg';
import { type Db, kyselyOn } from './kysely.js';

// One transaction: `db` for typed SQL, `client` for what Kysely cannot do (COPY).
export interface Tx {
  db: Db;
  client: PoolClient;
}

// The one way the controller runs a transaction over pg. A transaction that failed part-way leaves
// its client in an unknown state (aborted, mid-COPY, socket lost), so that client is destroyed, not
// returned to the pool; closing it makes Postgres roll back, and no ROLLBACK can hang on a dead socket.
export async function transaction<T>(pool: Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failed = true;
  try {
    await client.query('BEGIN');
    const result = await fn({ db: kyselyOn(client), client });
    await client.query('COMMIT');
    failed = false;
    return result;
  } finally {
    client.release(failed);
  }
}
