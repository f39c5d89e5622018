import { Inject, Injectable } from '@nestjs/common';
import type { Cursor } from '../dtos/pagination.dto.js';
import type { AuditEntry, Prisma, PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

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
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async insert(entries: NewAuditEntry[]): Promise<void> {
    await this.prisma.auditEntry.createMany({ data: entries });
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
