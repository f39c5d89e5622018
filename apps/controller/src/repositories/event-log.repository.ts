import { Inject, Injectable } from '@nestjs/common';
import { CompiledQuery, sql } from 'kysely';
import type { Pool } from 'pg';
import type { Db } from '../database/kysely.js';
import { runPrepared } from '../database/prepared.js';
import { anyOf } from './sql-helpers.js';
import { KYSELY, PG_POOL } from './tokens.js';

// One event as a batch row stores it (its id is the batch's id and its place in the batch).
export interface StoredEvent {
  type: string;
  kind: string;
  hostId: string | null;
  at: string;
  data: Record<string, unknown>;
}

export interface BatchRow {
  id: number;
  replicaId: string;
  events: StoredEvent[];
}

// A batch as the tail reads it: without the events of the reading replica's own batches (it holds them).
export interface TailRow {
  id: number;
  replicaId: string;
  events: StoredEvent[] | null;
}

// pg_advisory_xact_lock(EVENT_LOCK_NAMESPACE, EVENT_LOCK_KEY): the writers' lock (see append).
const EVENT_LOCK_NAMESPACE = 72707370;
const EVENT_LOCK_KEY = 2;

// Batch ids are BIGSERIAL, far below 2^53 for as long as events are ids of `id * 1e6 + i`.
const toBatch = (row: { id: string; replicaId: string; events: unknown }): BatchRow => ({
  id: Number(row.id),
  replicaId: row.replicaId,
  events: row.events as StoredEvent[],
});

@Injectable()
export class EventLogRepository {
  constructor(
    @Inject(KYSELY) private readonly db: Db,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  // Writes one batch and announces it; returns its id. Writers of every replica take one lock
  // first, so batch ids are drawn and committed in the same order: a reader that saw batch N has
  // seen every committed batch below N (the lock is released only after the commit is visible).
  // The notification leaves at commit, never for a batch that rolled back.
  // In the caller's transaction (the ingest's): the batch commits or rolls back with what it describes.
  async appendIn(db: Db, replicaId: string, events: readonly StoredEvent[]): Promise<number> {
    const { rows } = await eventLogQueries.append(replicaId, events).execute(db);
    return Number(rows[0]!.id);
  }

  // Alone, the statement is its own transaction: the lock is released by the commit that follows the
  // statement on the server, with no round trip to this process in between (an explicit BEGIN ...
  // COMMIT would hold every replica's writers through two).
  async append(replicaId: string, events: readonly StoredEvent[]): Promise<number> {
    const { sql: text, parameters } = eventLogQueries.append(replicaId, events).compile(this.db);
    const { rows } = await runPrepared<{ id: string }>(this.pool, text, [...parameters]);
    return Number(rows[0]!.id);
  }

  // Batches after `afterId` in id order, at most `limit`, and none past `untilId` when given.
  async after(afterId: number, limit: number, untilId?: number): Promise<BatchRow[]> {
    const rows = await eventLogQueries.after(this.db, afterId, limit, untilId).execute();
    return rows.map(toBatch);
  }

  // Batches after `afterId` in id order, at most `limit`; those `replicaId` wrote come without events.
  // Every replica runs this after every batch any replica writes: one fixed text, not built per call.
  async tail(afterId: number, limit: number, replicaId: string): Promise<TailRow[]> {
    const { sql: text, parameters } = eventLogQueries.tail(afterId, limit, replicaId).compile();
    const { rows } = await runPrepared<{ id: string; replicaId: string; events: unknown }>(this.pool, text, [
      ...parameters,
    ]);
    return rows.map((r) => ({ ...toBatch(r), events: r.events === null ? null : (r.events as StoredEvent[]) }));
  }

  // The events of these batches (a replica's own, when it no longer holds them).
  async eventsOf(ids: readonly number[]): Promise<Map<number, StoredEvent[]>> {
    const rows = await eventLogQueries.eventsOf(this.db, ids).execute();
    return new Map(rows.map((r) => [Number(r.id), r.events as unknown as StoredEvent[]]));
  }

  // The oldest and newest batch kept (nulls on an empty log), and how many events the newest holds.
  async bounds(): Promise<{ oldest: number | null; newest: number | null; newestCount: number }> {
    const row = await eventLogQueries.bounds().execute(this.db);
    const r = row.rows[0];
    return {
      oldest: r?.oldest == null ? null : Number(r.oldest),
      newest: r?.newest == null ? null : Number(r.newest),
      newestCount: r?.newestCount ?? 0,
    };
  }

  // The newest batch that retention drops: older than `maxAgeS`, or past the newest `maxEvents`.
  async retentionCut(maxAgeS: number, maxEvents: number): Promise<number | null> {
    const byAge = await eventLogQueries.newestOlderThan(this.db, maxAgeS).executeTakeFirst();
    const byCount = await eventLogQueries.newestBeyondCount(maxEvents).execute(this.db);
    const a = byAge?.id == null ? null : Number(byAge.id);
    const c = byCount.rows[0]?.id == null ? null : Number(byCount.rows[0].id);
    return a === null ? c : c === null ? a : Math.max(a, c);
  }

  // Deletes up to `limit` of the oldest batches with ids <= `upTo` in one short statement.
  async deleteUpTo(upTo: number, limit: number): Promise<number> {
    const result = await eventLogQueries.deleteUpTo(this.db, upTo, limit).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

const TAIL = `SELECT id, "replicaId", CASE WHEN "replicaId" = $1 THEN NULL ELSE events END AS events
  FROM "EventBatch" WHERE id > $2 ORDER BY id LIMIT $3`;

export const eventLogQueries = {
  tail: (afterId: number, limit: number, replicaId: string) => ({
    compile: () => CompiledQuery.raw(TAIL, [replicaId, String(afterId), limit]),
  }),

  // One statement, one round trip: the lock is taken before the INSERT draws its id (it reads the
  // lock's row first), `at` after it too, so it grows with the id (retention cuts by id). No NOTIFY
  // in here: Postgres serializes the commits of notifying transactions, WAL flush included, on one
  // lock, which queued every replica's command notes behind the event batches' flushes. The writer
  // announces the batch after its commit instead (EventLog.announce).
  append: (replicaId: string, events: readonly StoredEvent[]) =>
    sql<{ id: string }>`WITH locked AS (SELECT pg_advisory_xact_lock(${EVENT_LOCK_NAMESPACE}, ${EVENT_LOCK_KEY})), \
batch AS (INSERT INTO "EventBatch" ("replicaId", at, count, events) \
SELECT ${replicaId}, clock_timestamp(), ${events.length}, ${JSON.stringify(events)}::jsonb FROM locked RETURNING id) \
SELECT id FROM batch`,

  after: (db: Db, afterId: number, limit: number, untilId?: number) => {
    let q = db.selectFrom('EventBatch').select(['id', 'replicaId', 'events']).where('id', '>', String(afterId));
    if (untilId !== undefined) q = q.where('id', '<=', String(untilId));
    return q.orderBy('id').limit(limit);
  },

  eventsOf: (db: Db, ids: readonly number[]) =>
    db
      .selectFrom('EventBatch')
      .select(['id', 'events'])
      .where('id', '=', anyOf(ids.map(String))),

  bounds: () =>
    sql<{ oldest: string | null; newest: string | null; newestCount: number | null }>`SELECT \
(SELECT min(id) FROM "EventBatch") AS oldest, b.id AS newest, b.count AS "newestCount" \
FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT id, count FROM "EventBatch" ORDER BY id DESC LIMIT 1) b ON true`,

  newestOlderThan: (db: Db, maxAgeS: number) =>
    db
      .selectFrom('EventBatch')
      .select('id')
      .where('at', '<', sql<Date>`now() - make_interval(secs => ${maxAgeS})`)
      .orderBy('at', 'desc')
      .limit(1),

  // Walks from the newest batch down, summing counts, and stops at the first past `maxEvents`.
  newestBeyondCount: (maxEvents: number) =>
    sql<{ id: string }>`SELECT id FROM (SELECT id, sum(count) OVER (ORDER BY id DESC ROWS UNBOUNDED PRECEDING) \
AS total FROM "EventBatch" ORDER BY id DESC) t WHERE total > ${maxEvents} LIMIT 1`,

  deleteUpTo: (db: Db, upTo: number, limit: number) =>
    db
      .deleteFrom('EventBatch')
      .where(
        'id',
        'in',
        db.selectFrom('EventBatch').select('id').where('id', '<=', String(upTo)).orderBy('id').limit(limit),
      ),
};
