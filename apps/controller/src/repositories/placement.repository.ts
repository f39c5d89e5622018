import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { type Tx, transaction } from '../database/transaction.js';
import type { Cursor } from '../dtos/pagination.dto.js';
import type { Placement, Prisma, PrismaClient } from '../generated/prisma/client.js';
import { pgJson } from './pg-encoding.js';
import { PG_POOL, PRISMA } from './tokens.js';

export type PlacementRow = Placement;

export interface NewPlacement {
  id: string;
  requestedBy: string | null;
  dryRun: boolean;
  outcome: string;
  request: unknown;
  explanation: unknown;
  hostIds: string[];
  commandIds: string[];
  groupName: string | null;
}

export interface PlacementListFilters {
  group?: string;
  outcome?: string;
}

@Injectable()
export class PlacementRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  // Decisions and what `write` adds (their commands) in one transaction; rows in the order given.
  recordMany<T>(write: (tx: Tx) => Promise<T>, placements: (written: T) => NewPlacement[]) {
    return transaction(this.pool, async (tx) => {
      const written = await write(tx);
      const list = placements(written);
      const rows = await tx.db
        .insertInto('Placement')
        .values(list.map((data) => ({ ...data, request: pgJson(data.request), explanation: pgJson(data.explanation) })))
        .returningAll()
        .execute();
      const byId = new Map(rows.map((r) => [r.id, r as unknown as PlacementRow]));
      return { written, rows: list.map((p) => byId.get(p.id)!) };
    });
  }

  findById(id: string): Promise<PlacementRow | null> {
    return this.prisma.placement.findUnique({ where: { id } });
  }

  // Newest first; keyset on (createdAt, id).
  list(filters: PlacementListFilters, limit: number, after?: Cursor): Promise<PlacementRow[]> {
    const where: Prisma.PlacementWhereInput[] = [];
    if (filters.group) where.push({ groupName: filters.group });
    if (filters.outcome) where.push({ outcome: filters.outcome });
    if (after) {
      const at = new Date(after.key);
      where.push({ OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: after.id } }] });
    }
    return this.prisma.placement.findMany({
      where: { AND: where },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  commands(ids: string[]) {
    return this.prisma.command.findMany({ where: { id: { in: ids } } });
  }
}
