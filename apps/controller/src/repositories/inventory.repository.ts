import type { HostFacts, RecordByKind, RecordKind } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { rowFor, TABLES } from './inventory-tables.js';
import { PRISMA } from './tokens.js';

export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

const q = (ident: string) => `"${ident}"`;

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
      JSON.stringify(facts),
      JSON.stringify(facts.runtimes),
      facts.hostname,
    );
  }

  async upsert<K extends RecordKind>(tx: Tx, kind: K, hostId: string, records: RecordByKind[K][]): Promise<number> {
    if (records.length === 0) return 0;
    const spec = TABLES[kind];
    // A later record with the same key wins, as it would had they been applied one by one.
    const byKey = new Map<string, Record<string, unknown>>();
    for (const r of records) {
      const row = rowFor(kind, hostId, r);
      byKey.set(row.key as string, row);
    }
    const columns = Object.entries(spec.columns);
    const names = ['hostId', 'key', ...columns.map(([c]) => c)];
    const recordset = [`"hostId" uuid`, `"key" text`, ...columns.map(([c, t]) => `${q(c)} ${t}`)].join(', ');
    const updates = [...columns.map(([c]) => `${q(c)} = EXCLUDED.${q(c)}`), `"observedAt" = now()`].join(', ');
    const sql =
      `INSERT INTO ${q(spec.table)} (id, ${names.map(q).join(', ')}, "observedAt") ` +
      `SELECT gen_random_uuid(), ${names.map((n) => `r.${q(n)}`).join(', ')}, now() ` +
      `FROM jsonb_to_recordset($1::jsonb) AS r(${recordset}) ` +
      `ON CONFLICT ("hostId", "key") DO UPDATE SET ${updates}`;
    return tx.$executeRawUnsafe(sql, JSON.stringify([...byKey.values()]));
  }

  async remove(tx: Tx, kind: RecordKind, hostId: string, keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return tx.$executeRawUnsafe(
      `DELETE FROM ${q(TABLES[kind].table)} WHERE "hostId" = $1::uuid AND "key" IN (SELECT jsonb_array_elements_text($2::jsonb))`,
      hostId,
      JSON.stringify(keys),
    );
  }

  // Deletes the host's rows of a kind whose key is not among those kept (a snapshot's vanished rows).
  async removeExcept(tx: Tx, kind: RecordKind, hostId: string, keep: string[]): Promise<number> {
    return tx.$executeRawUnsafe(
      `DELETE FROM ${q(TABLES[kind].table)} WHERE "hostId" = $1::uuid AND NOT ("key" IN (SELECT jsonb_array_elements_text($2::jsonb)))`,
      hostId,
      JSON.stringify(keep),
    );
  }
}
