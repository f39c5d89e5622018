import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { PG_POOL } from '../repositories/tokens.js';

// Connections for the ingest batches (applied two at a time), the connect path's batches, the
// statements of commands, and the API's reads (Kysely); enough that neither waits behind the other.
export function createPgPool(url: string, max = 16): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 30_000 });
  // An idle connection that breaks (Postgres restarted) is dropped from the pool; the next batch reconnects.
  pool.on('error', () => {});
  // A connection that breaks while checked out (a partition ending, its socket reset) makes pg emit
  // 'error' on the client, which kills the process when nobody listens; the statement in flight
  // fails with that error anyway, and the broken client is dropped when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

// Ends the pool the application made itself (not one handed in) once everything else has stopped.
@Injectable()
export class OwnedPgPool implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
