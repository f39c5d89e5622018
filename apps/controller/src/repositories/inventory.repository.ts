import type { HostFacts, RecordByKind, RecordKind } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { type PgType, rowFor, TABLES } from './inventory-tables.js';
import { PRISMA } from './tokens.js';

export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

const q = (ident: string) => `"${ident}"`;

// Postgres text and jsonb cannot hold NUL; an engine string carrying one must not poison the ingest.
const pgJson = (value: unknown) => JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1');

// One stored row a write creates, changes or removes, described by its table's summary columns.
export interface RowChange {
  change: 'created' | 'updated' | 'removed';
  id: string;
  key: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

// Bulk writes as one statement per kind: rows travel as one JSON parameter and are expanded by
// jsonb_to_recordset, so a snapshot costs a handful of round trips whatever its size.
@Injectable()
export class InventoryRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 60_000, maxWait: 30_000 });
  }

  async lockHost(tx: Tx, hostId: string): Promise<{ lastSeq: number } | null> {
    const rows = await tx.$queryRawUnsafe<{ lastSeq: bigint }[]>(
      'SELECT "lastSeq" FROM "Host" WHERE id = $1::uuid FOR UPDATE',
      hostId,
    );
    return rows[0] ? { lastSeq: Number(rows[0].lastSeq) } : null;
  }

  async setLastSeq(tx: Tx, hostId: string, seq: number): Promise<void> {
    await tx.$executeRawUnsafe(
      'UPDATE "Host" SET "lastSeq" = $2::bigint, "updatedAt" = now() WHERE id = $1::uuid',
      hostId,
      String(seq),
    );
  }

  async setFacts(tx: Tx, hostId: string, facts: HostFacts): Promise<void> {
    await tx.$executeRawUnsafe(
      'UPDATE "Host" SET facts = $2::jsonb, runtimes = $3::jsonb, hostname = $4, "updatedAt" = now() WHERE id = $1::uuid',
      hostId,
      pgJson(facts),
      pgJson(facts.runtimes),
      facts.hostname,
    );
  }

  // The stored rows a write would create, change or (scope 'all': the host's whole kind) remove, compared
  // in SQL with the same casts the upsert uses; unchanged rows are not returned. Created rows get their id here.
  async diff<K extends RecordKind>(
    tx: Tx,
    kind: K,
    hostId: string,
    records: RecordByKind[K][],
    scope: 'all' | 'listed',
  ): Promise<RowChange[]> {
    const rows = rowsByKey(kind, hostId, records);
    if (scope === 'listed' && rows.length === 0) return [];
    const spec = TABLES[kind];
    const columns = Object.entries(spec.columns);
    const typeOf = (c: string) => cmpType(spec.columns[c]!);
    const incoming = `jsonb_to_recordset($2::jsonb) AS r(${recordset(columns)})`;
    const source =
      scope === 'all'
        ? `(SELECT * FROM ${q(spec.table)} WHERE "hostId" = $1::uuid) o FULL JOIN ${incoming} ON o."key" = r."key"`
        : `${incoming} LEFT JOIN ${q(spec.table)} o ON o."hostId" = $1::uuid AND o."key" = r."key"`;
    const changed = columns
      .filter(([c]) => !spec.volatile?.includes(c))
      .map(([c, t]) => `o.${q(c)} IS DISTINCT FROM r.${q(c)}::${cmpType(t)}`)
      .join(' OR ');
    const summary = spec.summary.flatMap((c) => [
      `o.${q(c)} AS ${q(`before.${c}`)}`,
      `r.${q(c)}::${typeOf(c)} AS ${q(`after.${c}`)}`,
    ]);
    const sql =
      `SELECT COALESCE(o.id, gen_random_uuid())::text AS id, COALESCE(o."key", r."key") AS "key", ` +
      `CASE WHEN o.id IS NULL THEN 'created' WHEN r."key" IS NULL THEN 'removed' ELSE 'updated' END AS change, ` +
      `${summary.join(', ')} FROM ${source} WHERE o.id IS NULL OR r."key" IS NULL OR (${changed})`;
    const result = await tx.$queryRawUnsafe<Record<string, unknown>[]>(sql, hostId, pgJson(rows));
    return result.map((row) => {
      const change = row.change as RowChange['change'];
      return {
        change,
        id: row.id as string,
        key: row.key as string,
        before: change === 'created' ? null : pick(row, 'before.', spec.summary),
        after: change === 'removed' ? null : pick(row, 'after.', spec.summary),
      };
    });
  }

  // `ids` names the id of rows about to be created (from diff); other new rows get a random one.
  async upsert<K extends RecordKind>(
    tx: Tx,
    kind: K,
    hostId: string,
    records: RecordByKind[K][],
    ids: ReadonlyMap<string, string> = new Map(),
  ): Promise<number> {
    if (records.length === 0) return 0;
    const spec = TABLES[kind];
    const rows = rowsByKey(kind, hostId, records).map((row) => ({ ...row, id: ids.get(row.key as string) ?? null }));
    const columns = Object.entries(spec.columns);
    const names = ['hostId', 'key', ...columns.map(([c]) => c)];
    const updates = [...columns.map(([c]) => `${q(c)} = EXCLUDED.${q(c)}`), `"observedAt" = now()`].join(', ');
    const sql =
      `INSERT INTO ${q(spec.table)} (id, ${names.map(q).join(', ')}, "observedAt") ` +
      `SELECT COALESCE(r.id, gen_random_uuid()), ${names.map((n) => `r.${q(n)}`).join(', ')}, now() ` +
      `FROM jsonb_to_recordset($1::jsonb) AS r("id" uuid, "hostId" uuid, ${recordset(columns)}) ` +
      `ON CONFLICT ("hostId", "key") DO UPDATE SET ${updates}`;
    return tx.$executeRawUnsafe(sql, pgJson(rows));
  }

  // Deletes rows by key and returns what they were, for the removal events.
  async remove(tx: Tx, kind: RecordKind, hostId: string, keys: string[]): Promise<RowChange[]> {
    if (keys.length === 0) return [];
    const spec = TABLES[kind];
    const rows = await tx.$queryRawUnsafe<Record<string, unknown>[]>(
      `DELETE FROM ${q(spec.table)} WHERE "hostId" = $1::uuid AND "key" IN (SELECT jsonb_array_elements_text($2::jsonb)) ` +
        `RETURNING id::text AS id, "key", ${spec.summary.map((c) => `${q(c)} AS ${q(`before.${c}`)}`).join(', ')}`,
      hostId,
      pgJson(keys),
    );
    return rows.map((row) => ({
      change: 'removed',
      id: row.id as string,
      key: row.key as string,
      before: pick(row, 'before.', spec.summary),
      after: null,
    }));
  }
}

// A later record with the same key wins, as it would had they been applied one by one.
function rowsByKey<K extends RecordKind>(kind: K, hostId: string, records: RecordByKind[K][]) {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const r of records) {
    const row = rowFor(kind, hostId, r);
    byKey.set(row.key as string, row);
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
