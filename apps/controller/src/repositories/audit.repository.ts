import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Cursor } from '../dtos/pagination.dto.js';
import type { AuditEntry, Prisma, PrismaClient } from '../generated/prisma/client.js';
import { pgJson } from './pg-encoding.js';
import { PG_POOL, PRISMA } from './tokens.js';

export type AuditRow = AuditEntry;

export interface NewAuditEntry {
  // When it happened (the insert's time when left out).
  at?: Date;
  actor: string;
  actorId: string | null;
  action: string;
  targetKind: string | null;
  targetId: string | null;
  outcome: string;
  statusCode: number | null;
  detail: Prisma.InputJsonValue;
  remoteAddr: string | null;
}

export interface AuditFilters {
  actor?: string;
  action?: string;
  targetKind?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
}

@Injectable()
export class AuditRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    // The controller writes over plain pg (every request writes an entry); the CLI goes without.
    @Optional() @Inject(PG_POOL) private readonly pool?: Pool,
  ) {}

  async insert(entries: NewAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (!this.pool) {
      await this.prisma.auditEntry.createMany({ data: entries });
      return;
    }
    await this.pool.query(
      'INSERT INTO "AuditEntry" (id, at, actor, "actorId", action, "targetKind", "targetId", outcome, "statusCode", detail, "remoteAddr") ' +
        'SELECT gen_random_uuid(), COALESCE(e.at, now()), e.actor, e."actorId", e.action, e."targetKind", e."targetId", ' +
        'e.outcome, e."statusCode", COALESCE(e.detail, \'{}\'), e."remoteAddr" ' +
        'FROM jsonb_to_recordset($1::jsonb) AS e(at timestamptz, actor text, "actorId" text, action text, "targetKind" text, ' +
        '"targetId" text, outcome text, "statusCode" integer, detail jsonb, "remoteAddr" text)',
      [pgJson(entries)],
    );
  }

  // Newest first; keyset on (at, id).
  list(filters: AuditFilters, limit: number, after?: Cursor): Promise<AuditRow[]> {
    const where: Prisma.AuditEntryWhereInput[] = [];
    if (filters.actor) where.push({ OR: [{ actor: filters.actor }, { actorId: filters.actor }] });
    if (filters.action) where.push({ action: { contains: filters.action } });
    if (filters.targetKind) where.push({ targetKind: filters.targetKind });
    if (filters.targetId) where.push({ targetId: filters.targetId });
    if (filters.since) where.push({ at: { gte: filters.since } });
    if (filters.until) where.push({ at: { lt: filters.until } });
    if (after) {
      const at = new Date(after.key);
      where.push({ OR: [{ at: { lt: at } }, { at, id: { lt: after.id } }] });
    }
    return this.prisma.auditEntry.findMany({
      where: { AND: where },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }
}
