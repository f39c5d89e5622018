import type { CommandError, CommandOp, CommandTarget } from '@corral/protocol';
import type { CommandDto, CommandSummaryDto } from '../dtos/command.dto.js';
import type { CommandRow } from '../repositories/command.repository.js';
import { iso } from './inventory-response.mapper.js';

export const commandUrl = (id: string) => `/api/v1/commands/${id}`;

export function toCommandSummaryDto(row: CommandRow): CommandSummaryDto {
  return {
    id: row.id,
    url: commandUrl(row.id),
    hostId: row.hostId,
    op: row.op as CommandOp,
    target: row.target as CommandTarget,
    targetKind: row.targetKind as CommandTarget['kind'],
    targetId: row.targetId,
    params: row.params as Record<string, unknown>,
    status: row.status,
    error: (row.error as CommandError | null) ?? null,
    outputTruncated: row.outputTruncated,
    requestedBy: row.requestedBy,
    idempotencyKey: row.idempotencyKey,
    createdAt: row.createdAt.toISOString(),
    sentAt: iso(row.sentAt),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    cancelRequestedAt: iso(row.cancelRequestedAt),
    deadline: row.deadline.toISOString(),
  };
}

export function toCommandDto(row: CommandRow): CommandDto {
  return {
    ...toCommandSummaryDto(row),
    result: (row.result as Record<string, unknown> | null) ?? null,
    output: row.output,
  };
}
