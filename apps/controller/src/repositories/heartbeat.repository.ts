import { HOST_STATUS, type LoadReport } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Pool } from 'pg';
import type { Db } from '../database/kysely.js';
import { transaction } from '../database/transaction.js';
import { anyOf } from './sql-helpers.js';
import { PG_POOL } from './tokens.js';

export interface HeartbeatWrite {
  load: LoadReport;
  at: Date;
}

@Injectable()
export class HeartbeatRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  // The latest load and time of many hosts, in one UPDATE. Rows are locked in id order first, like
  // the ingest batches lock them, so the two cannot deadlock.
  async record(batch: Map<string, HeartbeatWrite>): Promise<void> {
    const ids = [...batch.keys()].sort();
    await transaction(this.pool, async ({ db }) => {
      await heartbeatQueries.lock(db, ids).execute();
      await heartbeatQueries
        .update(
          ids,
          ids.map((id) => batch.get(id)!),
        )
        .execute(db);
    });
  }
}

export const heartbeatQueries = {
  lock: (db: Db, ids: string[]) =>
    db.selectFrom('Host').select(sql.lit(1).as('locked')).where('id', '=', anyOf(ids)).orderBy('id').forUpdate(),

  update: (ids: string[], writes: HeartbeatWrite[]) =>
    sql`UPDATE "Host" h SET load = v.load, "lastSeenAt" = GREATEST(h."lastSeenAt", v.at), \
status = ${sql.lit(HOST_STATUS.online)}, "offlineAt" = NULL, "updatedAt" = now() \
FROM unnest(${ids}::uuid[], ${writes.map((w) => JSON.stringify(w.load))}::jsonb[], \
${writes.map((w) => w.at.toISOString())}::timestamptz[]) AS v(id, load, at) WHERE h.id = v.id`,
};
