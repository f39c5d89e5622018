import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { PG_POOL } from '../repositories/tokens.js';

// Connections for the ingest batches (applied two at a time), the connect path's batches, the
// statements of commands, and the API's reads (Kysely); enough that neither waits behind the other.
export function createPgPool(url: string, max = 16): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 30_000 });
  // An idle connection that breaks (Postgres restarted) is dropped from the pool; the next batch reconnects.
  pool.on('error', () => {});
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
