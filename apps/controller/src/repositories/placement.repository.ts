import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { runPrepared } from '../database/prepared.js';
import type { Cursor } from '../dtos/pagination.dto.js';
import type { Placement, Prisma, PrismaClient } from '../generated/prisma/client.js';
import { insertAuditFrom, type NewAuditEntry } from './audit.repository.js';
import { type CommandRow, insertCommandsFrom, type NewCommand } from './command.repository.js';
import { pgJson } from './pg-encoding.js';
import { PG_POOL, PRISMA } from './tokens.js';

export type PlacementRow = Placement;

export interface NewPlacement {
  id: string;
  createdAt: Date;
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

// Placement rows, their commands and the audit entries of their requests in one statement (atomic
// on its own: no BEGIN/COMMIT round trips), each set of rows as one jsonb parameter; the commands
// come back as written.
const RECORD_MANY = `WITH audited AS (${insertAuditFrom('$3')}), placed AS (
  INSERT INTO "Placement" (id, "createdAt", "requestedBy", "dryRun", outcome, request, explanation, "hostIds",
    "commandIds", "groupName")
  SELECT id, "createdAt", "requestedBy", "dryRun", outcome, request, explanation, "hostIds", "commandIds", "groupName"
  FROM jsonb_to_recordset($2::jsonb) AS p(id uuid, "createdAt" timestamptz, "requestedBy" text, "dryRun" boolean,
    outcome text, request jsonb, explanation jsonb, "hostIds" text[], "commandIds" text[], "groupName" text)
)
${insertCommandsFrom('$1')}`;

export const placementQueries = { recordMany: RECORD_MANY };

// A value as its jsonb column holds it: pgJson drops NUL characters, which JSON escapes as \u0000.
const hasNul = (json: string) => json.includes('\\u0000');
const asStored = <T>(value: T): T => JSON.parse(pgJson(value)) as T;

@Injectable()
export class PlacementRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  // Decisions, their commands and audit entries; the placement rows are those given (as stored), the commands as
  // the database returned them, both in the order given.
  async recordMany(
    commands: readonly (NewCommand & { id: string })[],
    placements: readonly NewPlacement[],
    audit: readonly NewAuditEntry[],
  ): Promise<{ commands: CommandRow[]; rows: PlacementRow[] }> {
    const json = JSON.stringify(placements);
    const nul = hasNul(json);
    const { rows } = await runPrepared<CommandRow>(this.pool, RECORD_MANY, [
      pgJson(commands),
      nul ? pgJson(placements) : json,
      pgJson(audit),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return {
      commands: commands.map((c) => byId.get(c.id)!),
      rows: placements.map((p) => ({
        ...p,
        request: (nul ? asStored(p.request) : p.request) as PlacementRow['request'],
        explanation: (nul ? asStored(p.explanation) : p.explanation) as PlacementRow['explanation'],
      })),
    };
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
