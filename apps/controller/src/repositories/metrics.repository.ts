import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { OPEN_STATUSES } from '../services/command-states.js';
import { PG_POOL } from './tokens.js';

const OPEN_BY_STATUS = `SELECT status::text AS status, count(*)::int AS n FROM "Command"
  WHERE status = ANY($1::"CommandStatus"[]) GROUP BY status`;

const TIMED = Symbol('corral.poolWaitTimed');

// What the scrape reads from the database: the pool's own counters and one grouped count of open
// commands (the (status, deadline) index answers it), and the time each checkout waited.
@Injectable()
export class MetricsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async openCommandsByStatus(): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ status: string; n: number }>(OPEN_BY_STATUS, [OPEN_STATUSES]);
    const out: Record<string, number> = Object.fromEntries(OPEN_STATUSES.map((s) => [s, 0]));
    for (const row of rows) out[row.status] = row.n;
    return out;
  }

  // Times every checkout: Kysely's and the transactions' (promise style) and pool.query's (callback
  // style). Once per pool, however many apps share it.
  timeCheckouts(observe: (seconds: number) => void): void {
    const pool = this.pool as Pool & { [TIMED]?: boolean };
    if (pool[TIMED]) return;
    pool[TIMED] = true;
    type Callback = (err: Error | undefined, client: PoolClient | undefined, done: unknown) => void;
    const connect = pool.connect.bind(pool) as (cb?: Callback) => Promise<PoolClient> | undefined;
    (pool as { connect: unknown }).connect = (cb?: Callback) => {
      const started = performance.now();
      if (typeof cb === 'function') {
        return connect((err, client, done) => {
          observe((performance.now() - started) / 1000);
          cb(err, client, done);
        });
      }
      const checkout = connect() as Promise<PoolClient>;
      checkout.then(
        () => observe((performance.now() - started) / 1000),
        () => observe((performance.now() - started) / 1000),
      );
      return checkout;
    };
  }
}
