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

  // The decision and what `write` adds (its commands) in one transaction.
  record<T>(write: (tx: Tx) => Promise<T>, placement: (written: T) => NewPlacement) {
    return transaction(this.pool, async (tx) => {
      const written = await write(tx);
      return { written, row: await this.insert(tx, placement(written)) };
    });
  }

  // Alone, as a dry run's decision is stored.
  insertAlone(data: NewPlacement): Promise<PlacementRow> {
    return transaction(this.pool, (tx) => this.insert(tx, data));
  }

  private async insert(tx: Tx, data: NewPlacement): Promise<PlacementRow> {
    const row = await tx.db
      .insertInto('Placement')
      .values({
        ...data,
        request: pgJson(data.request),
        explanation: pgJson(data.explanation),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return row as unknown as PlacementRow;
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
