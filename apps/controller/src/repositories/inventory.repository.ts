import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { HostFacts, RecordByKind, RecordKind } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../database/kysely.js';
import { type Tx, transaction } from '../database/transaction.js';
import { type PgType, rowFor, TABLES, type TableSpec } from './inventory-tables.js';
import { copyLine, copyValue, pgJson, storedValue } from './pg-encoding.js';
import { anyOf } from './sql-helpers.js';
import { PG_POOL } from './tokens.js';

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

const KIND_TABLES = Object.values(TABLES).map((t) => t.table);

// Bulk ingest: rows travel as one JSON parameter per kind, expanded by jsonb_to_recordset, and one
// statement per kind diffs, deletes and upserts every host of a batch. The statements are built from
// the kind registry, so they are Kysely `sql` fragments with typed rows rather than builder chains.
@Injectable()
export class InventoryRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return transaction(this.pool, fn);
  }

  // Locks the hosts' rows in id order (so concurrent batches cannot deadlock) and returns their
  // lastSeq and connection epoch.
  async lockHosts(tx: Tx, hostIds: string[]): Promise<Map<string, { lastSeq: number; epoch: number }>> {
    const rows = await inventoryQueries.lockHosts(tx.db, hostIds).execute();
    return new Map(rows.map((r) => [r.id, { lastSeq: Number(r.lastSeq), epoch: Number(r.connectionEpoch) }]));
  }

  async updateHosts(tx: Tx, hosts: HostWrite[]): Promise<void> {
    if (hosts.length === 0) return;
    await inventoryQueries.updateHosts(hosts).execute(tx.db);
  }

  // Hosts among `hostIds` that hold any inventory row, of any kind.
  async hostsWithRows(tx: Tx, hostIds: string[]): Promise<Set<string>> {
    if (hostIds.length === 0) return new Set();
    const rows = await inventoryQueries.hostsWithRows(tx.db, hostIds).execute();
    return new Set(rows.map((r) => r.hostId));
  }

  // Rows of hosts that hold none of this kind yet (a first snapshot), written with COPY: no stored
  // rows to compare with, so every row is created. Ids are made here; the changes returned carry the
  // summary columns as a read of the stored rows would give them.
  async insertFresh<K extends RecordKind>(
    tx: Tx,
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
    // COPY is beyond Kysely: it goes to the transaction's own client.
    const stream = tx.client.query(copyFrom(copyStatement(spec)));
    const done = once(stream, 'finish');
    stream.end(text);
    await done;
    return changes;
  }

  // One statement: the stored rows the write creates, changes or removes are found by comparing with
  // the same casts the upsert uses (unchanged rows are not returned; created rows get their id here),
  // removed rows are deleted and every incoming row is upserted.
  async write<K extends RecordKind>(tx: Tx, w: KindWrite<K>): Promise<HostChange[]> {
    if (w.replace.length === 0 && w.rows.length === 0 && w.remove.length === 0) return [];
    const spec = TABLES[w.kind];
    const { rows } = await inventoryQueries
      .write(w.kind, rowsByKey(w.kind, w.rows), w.replace, w.remove)
      .execute(tx.db);
    return rows.map((row) => ({
      change: row.change,
      id: row.id,
      hostId: row.hostId,
      key: row.key,
      before: row.change === 'created' ? null : pick(row, 'before.', spec.summary),
      after: row.change === 'removed' ? null : pick(row, 'after.', spec.summary),
    }));
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

function pick(row: Record<string, unknown>, prefix: string, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [n, row[`${prefix}${n}`]]));
}

const q = (ident: string) => `"${ident}"`;

// Columns are timestamptz(3): compare incoming times at the precision they are stored with.
const cmpType = (t: PgType) => (t === 'timestamptz' ? 'timestamptz(3)' : t);

const copyStatement = (spec: TableSpec) =>
  `COPY ${q(spec.table)} (${['id', 'hostId', 'key', ...Object.keys(spec.columns)].map(q).join(', ')}) FROM STDIN`;

// What the write statement returns per row: the change and the summary columns before and after.
type WrittenRow = {
  id: string;
  hostId: string;
  key: string;
  change: RowChange['change'];
} & Record<string, unknown>;

// The fixed text of each kind's write statement around its three parameters (incoming rows, hosts
// replaced, keys removed), made once from the registry.
function writeStatement(spec: TableSpec) {
  const columns = Object.entries(spec.columns);
  const recordset = [`"key" text`, ...columns.map(([c, t]) => `${q(c)} ${t}`)].join(', ');
  const names = ['hostId', 'key', ...columns.map(([c]) => c)];
  const changed = columns
    .filter(([c]) => !spec.volatile.includes(c))
    .map(([c, t]) => `o.${q(c)} IS DISTINCT FROM r.${q(c)}::${cmpType(t)}`)
    .join(' OR ');
  const summary = spec.summary.flatMap((c) => [
    `o.${q(c)} AS ${q(`before.${c}`)}`,
    `r.${q(c)}::${cmpType(spec.columns[c]!)} AS ${q(`after.${c}`)}`,
  ]);
  const updates = [...columns.map(([c]) => `${q(c)} = EXCLUDED.${q(c)}`), `"observedAt" = now()`].join(', ');
  const table = q(spec.table);
  const raw = sql.raw;
  return {
    recordset: raw(`AS r("hostId" uuid, ${recordset})`),
    table: raw(table),
    diff: raw(
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
        `${spec.summary.flatMap((c) => [`d.${q(`before.${c}`)}`, `d.${q(`after.${c}`)}`]).join(', ')} FROM d`,
    ),
  };
}

const WRITE_STATEMENTS = new Map(Object.entries(TABLES).map(([kind, spec]) => [kind, writeStatement(spec)]));

// The statements of the ingest path, apart from their execution, so that their SQL can be
// snapshotted (inventory.repository.spec.ts).
export const inventoryQueries = {
  lockHosts: (db: Db, hostIds: string[]) =>
    db
      .selectFrom('Host')
      .select(['id', 'lastSeq', 'connectionEpoch'])
      .where('id', '=', anyOf([...hostIds].sort()))
      .orderBy('id')
      .forUpdate(),

  updateHosts: (hosts: HostWrite[]) => {
    const values = hosts.map((h) => ({
      id: h.id,
      seq: String(h.lastSeq),
      hasFacts: h.facts !== null,
      facts: h.facts,
      runtimes: h.facts?.runtimes ?? null,
    }));
    // The hostname is the one the host enrolled with; what its facts say never renames it.
    return sql`UPDATE "Host" h SET "lastSeq" = v.seq, "updatedAt" = now(), \
facts = CASE WHEN v."hasFacts" THEN v.facts ELSE h.facts END, \
runtimes = CASE WHEN v."hasFacts" THEN v.runtimes ELSE h.runtimes END \
FROM jsonb_to_recordset(${pgJson(values)}::jsonb) \
AS v(id uuid, seq bigint, "hasFacts" boolean, facts jsonb, runtimes jsonb) \
WHERE h.id = v.id`;
  },

  hostsWithRows: (db: Db, hostIds: string[]) => {
    const [first, ...rest] = KIND_TABLES.map((t) =>
      db.selectFrom(t).select('hostId').distinct().where('hostId', '=', anyOf(hostIds)),
    );
    return rest.reduce((query, next) => query.union(next), first!);
  },

  write: (kind: RecordKind, rows: Record<string, unknown>[], replace: string[], remove: KindWrite['remove']) => {
    const s = WRITE_STATEMENTS.get(kind)!;
    return sql<WrittenRow>`WITH r AS (SELECT * FROM jsonb_to_recordset(${pgJson(rows)}::jsonb) ${s.recordset}), \
listed AS (SELECT "hostId", "key" FROM r WHERE NOT ("hostId" = ANY(${replace}::uuid[])) \
UNION SELECT "hostId", "key" FROM jsonb_to_recordset(${pgJson(remove)}::jsonb) AS g("hostId" uuid, "key" text)), \
o AS (SELECT t.* FROM ${s.table} t WHERE t."hostId" = ANY(${replace}::uuid[]) \
UNION ALL SELECT t.* FROM ${s.table} t JOIN listed l ON t."hostId" = l."hostId" AND t."key" = l."key"), \
${s.diff}`;
  },
};
