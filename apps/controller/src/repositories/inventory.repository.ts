import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { HostFacts, RecordByKind, RecordKind } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type PgType, rowFor, TABLES } from './inventory-tables.js';
import { copyLine, copyValue, pgJson, storedValue } from './pg-encoding.js';
import { PG_POOL } from './tokens.js';

const q = (ident: string) => `"${ident}"`;

// One stored row a write creates, changes or removes, described by its table's summary columns.
export interface RowChange {
  change: 'created' | 'updated' | 'removed';
  id: string;
  key: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface HostChange extends RowChange {
  hostId: string;
}

// What one write does to one kind across many hosts: `replace` hosts get exactly `rows` of that
// host (every other row of theirs is removed); other hosts get `rows` upserted and `remove` deleted.
export interface KindWrite<K extends RecordKind = RecordKind> {
  kind: K;
  replace: string[];
  rows: { hostId: string; record: RecordByKind[K] }[];
  remove: { hostId: string; key: string }[];
}

export interface HostWrite {
  id: string;
  lastSeq: number;
  facts: HostFacts | null;
}

export type Db = Pick<PoolClient, 'query'>;

const KIND_TABLES = Object.values(TABLES).map((t) => t.table);

// Bulk ingest over plain pg: rows travel as one JSON parameter per kind, expanded by
// jsonb_to_recordset, and one statement per kind diffs, deletes and upserts every host of a batch.
@Injectable()
export class InventoryRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  // Locks the hosts' rows in id order (so concurrent batches cannot deadlock) and returns their lastSeq.
  async lockHosts(db: Db, hostIds: string[]): Promise<Map<string, number>> {
    const { rows } = await db.query<{ id: string; lastSeq: string }>(
      'SELECT id::text AS id, "lastSeq"::text AS "lastSeq" FROM "Host" WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
      [[...hostIds].sort()],
    );
    return new Map(rows.map((r) => [r.id, Number(r.lastSeq)]));
  }

  async updateHosts(db: Db, hosts: HostWrite[]): Promise<void> {
    if (hosts.length === 0) return;
    const values = hosts.map((h) => ({
      id: h.id,
      seq: String(h.lastSeq),
      hasFacts: h.facts !== null,
      facts: h.facts,
      runtimes: h.facts?.runtimes ?? null,
    }));
    await db.query(
      'UPDATE "Host" h SET "lastSeq" = v.seq, "updatedAt" = now(), ' +
        'facts = CASE WHEN v."hasFacts" THEN v.facts ELSE h.facts END, ' +
        // The hostname is the one the host enrolled with; what its facts say never renames it.
        'runtimes = CASE WHEN v."hasFacts" THEN v.runtimes ELSE h.runtimes END ' +
        'FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, seq bigint, "hasFacts" boolean, facts jsonb, runtimes jsonb) ' +
        'WHERE h.id = v.id',
      [pgJson(values)],
    );
  }

  // Hosts among `hostIds` that hold any inventory row, of any kind.
  async hostsWithRows(db: Db, hostIds: string[]): Promise<Set<string>> {
    if (hostIds.length === 0) return new Set();
    const { rows } = await db.query<{ hostId: string }>(
      KIND_TABLES.map(
        (t) => `SELECT DISTINCT "hostId"::text AS "hostId" FROM ${q(t)} WHERE "hostId" = ANY($1::uuid[])`,
      ).join(' UNION '),
      [hostIds],
    );
    return new Set(rows.map((r) => r.hostId));
  }

  // Rows of hosts that hold none of this kind yet (a first snapshot), written with COPY: no stored
  // rows to compare with, so every row is created. Ids are made here; the changes returned carry the
  // summary columns as a read of the stored rows would give them.
  async insertFresh<K extends RecordKind>(
    db: Db,
    kind: K,
    records: { hostId: string; record: RecordByKind[K] }[],
  ): Promise<HostChange[]> {
    if (records.length === 0) return [];
    const spec = TABLES[kind];
    const columns = Object.entries(spec.columns);
    const changes: HostChange[] = [];
    let text = '';
    for (const row of rowsByKey(kind, records)) {
      const id = randomUUID();
      text += copyLine([
        id,
        row.hostId as string,
        copyValue('text', row.key),
        ...columns.map(([c, t]) => copyValue(t, row[c])),
      ]);
      changes.push({
        change: 'created',
        id,
        hostId: row.hostId as string,
        key: storedValue('text', row.key) as string,
        before: null,
        after: Object.fromEntries(spec.summary.map((c) => [c, storedValue(spec.columns[c]!, row[c])])),
      });
    }
    const names = ['id', 'hostId', 'key', ...columns.map(([c]) => c)];
    const stream = (db as PoolClient).query(copyFrom(`COPY ${q(spec.table)} (${names.map(q).join(', ')}) FROM STDIN`));
    const done = once(stream, 'finish');
    stream.end(text);
    await done;
    return changes;
  }

  // One statement: the stored rows the write creates, changes or removes are found by comparing with
  // the same casts the upsert uses (unchanged rows are not returned; created rows get their id here),
  // removed rows are deleted and every incoming row is upserted.
  async write<K extends RecordKind>(db: Db, w: KindWrite<K>): Promise<HostChange[]> {
    if (w.replace.length === 0 && w.rows.length === 0 && w.remove.length === 0) return [];
    const spec = TABLES[w.kind];
    const columns = Object.entries(spec.columns);
    const typeOf = (c: string) => cmpType(spec.columns[c]!);
    const rows = rowsByKey(w.kind, w.rows);
    const names = ['hostId', 'key', ...columns.map(([c]) => c)];
    const changed = columns
      .filter(([c]) => !spec.volatile?.includes(c))
      .map(([c, t]) => `o.${q(c)} IS DISTINCT FROM r.${q(c)}::${cmpType(t)}`)
      .join(' OR ');
    const summary = spec.summary.flatMap((c) => [
      `o.${q(c)} AS ${q(`before.${c}`)}`,
      `r.${q(c)}::${typeOf(c)} AS ${q(`after.${c}`)}`,
    ]);
    const updates = [...columns.map(([c]) => `${q(c)} = EXCLUDED.${q(c)}`), `"observedAt" = now()`].join(', ');
    const table = q(spec.table);
    const sql =
      `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r("hostId" uuid, ${recordset(columns)})), ` +
      `listed AS (SELECT "hostId", "key" FROM r WHERE NOT ("hostId" = ANY($2::uuid[])) ` +
      `UNION SELECT "hostId", "key" FROM jsonb_to_recordset($3::jsonb) AS g("hostId" uuid, "key" text)), ` +
      `o AS (SELECT t.* FROM ${table} t WHERE t."hostId" = ANY($2::uuid[]) ` +
      `UNION ALL SELECT t.* FROM ${table} t JOIN listed l ON t."hostId" = l."hostId" AND t."key" = l."key"), ` +
      `d AS (SELECT COALESCE(o.id, gen_random_uuid()) AS id, COALESCE(o."hostId", r."hostId") AS "hostId", ` +
      `COALESCE(o."key", r."key") AS "key", ` +
      `CASE WHEN o.id IS NULL THEN 'created' WHEN r."key" IS NULL THEN 'removed' ELSE 'updated' END AS change, ` +
      `${summary.join(', ')} FROM o FULL JOIN r ON o."hostId" = r."hostId" AND o."key" = r."key" ` +
      `WHERE o.id IS NULL OR r."key" IS NULL OR (${changed})), ` +
      `gone AS (DELETE FROM ${table} t USING d WHERE d.change = 'removed' AND t.id = d.id), ` +
      `up AS (INSERT INTO ${table} (id, ${names.map(q).join(', ')}, "observedAt") ` +
      `SELECT COALESCE(d.id, gen_random_uuid()), ${names.map((n) => `r.${q(n)}`).join(', ')}, now() ` +
      `FROM r LEFT JOIN d ON d.change = 'created' AND d."hostId" = r."hostId" AND d."key" = r."key" ` +
      `ON CONFLICT ("hostId", "key") DO UPDATE SET ${updates}) ` +
      `SELECT d.id::text AS id, d."hostId"::text AS "hostId", d."key", d.change, ` +
      `${spec.summary.flatMap((c) => [`d.${q(`before.${c}`)}`, `d.${q(`after.${c}`)}`]).join(', ')} FROM d`;
    const result = await db.query<Record<string, unknown>>(sql, [pgJson(rows), w.replace, pgJson(w.remove)]);
    return result.rows.map((row) => {
      const change = row.change as RowChange['change'];
      return {
        change,
        id: row.id as string,
        hostId: row.hostId as string,
        key: row.key as string,
        before: change === 'created' ? null : pick(row, 'before.', spec.summary),
        after: change === 'removed' ? null : pick(row, 'after.', spec.summary),
      };
    });
  }
}

// A later record with the same host and key wins, as it would had they been applied one by one.
function rowsByKey<K extends RecordKind>(kind: K, records: { hostId: string; record: RecordByKind[K] }[]) {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const { hostId, record } of records) {
    const row = rowFor(kind, hostId, record);
    byKey.set(`${hostId}\u0000${row.key as string}`, row);
  }
  return [...byKey.values()];
}

const recordset = (columns: [string, PgType][]) =>
  [`"key" text`, ...columns.map(([c, t]) => `${q(c)} ${t}`)].join(', ');

// Columns are timestamptz(3): compare incoming times at the precision they are stored with.
const cmpType = (t: PgType) => (t === 'timestamptz' ? 'timestamptz(3)' : t);

function pick(row: Record<string, unknown>, prefix: string, names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [n, row[`${prefix}${n}`]]));
}
