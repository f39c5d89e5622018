import type { CommandDto } from '../dtos/command.dto.js';
import type {
  PlacementDto,
  PlacementExplanation,
  PlacementOutcomeSchema,
  PlacementSummaryDto,
} from '../dtos/placement.dto.js';
import type { PlacementRow } from '../repositories/placement.repository.js';

export const placementUrl = (id: string) => `/api/v1/placements/${id}`;

type Outcome = (typeof PlacementOutcomeSchema)['options'][number];

const STATUS = { placed: 202, partial: 202, dry_run: 200, rejected: 409 } as const;

// The HTTP status a placement answers with. A dry run answers as the real request would, so a client
// can branch on it: 409 when nothing would fit.
export function placementStatus(outcome: Outcome, placedHosts: number): 200 | 202 | 409 {
  return outcome === 'dry_run' && placedHosts === 0 ? STATUS.rejected : STATUS[outcome];
}

export function toPlacementSummaryDto(row: PlacementRow): PlacementSummaryDto {
  return {
    id: row.id,
    url: placementUrl(row.id),
    createdAt: row.createdAt.toISOString(),
    requestedBy: row.requestedBy,
    dryRun: row.dryRun,
    outcome: row.outcome as Outcome,
    group: row.groupName,
    hostIds: row.hostIds,
    commandIds: row.commandIds,
    summary: (row.explanation as PlacementExplanation).summary,
  };
}

// Commands in the order of the placement's replicas.
export function toPlacementDto(row: PlacementRow, commands: CommandDto[]): PlacementDto {
  const byId = new Map(commands.map((c) => [c.id, c]));
  const { summary: _, ...summary } = toPlacementSummaryDto(row);
  return {
    ...summary,
    request: row.request as Record<string, unknown>,
    explanation: row.explanation as PlacementExplanation,
    commands: row.commandIds.flatMap((id) => byId.get(id) ?? []),
  };
}
