import { Inject, Injectable } from '@nestjs/common';
import type { Cursor } from '../dtos/pagination.dto.js';
import type { Placement, Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { SchedulingTx } from './scheduling.repository.js';
import { PRISMA } from './tokens.js';

export type PlacementRow = Placement;

export interface PlacementListFilters {
  group?: string;
  outcome?: string;
}

@Injectable()
export class PlacementRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  insert(tx: SchedulingTx, data: Prisma.PlacementUncheckedCreateInput): Promise<PlacementRow> {
    return tx.placement.create({ data });
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
