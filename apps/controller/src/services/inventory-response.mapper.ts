import { HOST_STATUS, type KindColumn, kindSpec, type RecordKind } from '@corral/protocol';
import type {
  BridgeDto,
  ContainerDto,
  FindingDto,
  ImageDto,
  LeaseDto,
  NetworkDto,
  VolumeDto,
} from '../dtos/inventory.dto.js';
import type { HostJoin } from '../repositories/inventory-query.repository.js';

export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
// BigInt never reaches JSON; byte counts stay far below 2^53. pg reads bigint columns as strings.
export const num = (n: bigint | number | string | null): number | null => (n === null ? null : Number(n));

export interface DtoByKind {
  container: ContainerDto;
  image: ImageDto;
  volume: VolumeDto;
  network: NetworkDto;
  bridge: BridgeDto;
  lease: LeaseDto;
  finding: FindingDto;
}

// A stored inventory row, as the list query reads it.
export type InventoryRow = { id: string; hostId: string; observedAt: Date } & HostJoin & Record<string, unknown>;

function answerValue(column: KindColumn, value: unknown): unknown {
  switch (column.type) {
    case 'timestamp':
      return iso(value as Date | null);
    case 'int64':
      return num(value as string | null);
    default:
      // JSON columns hold what the agent sent, validated against the protocol schemas on the way in.
      return value;
  }
}

// Every kind's answer comes from its registry entry: the columns it shows, under their answer names.
export function toInventoryDto<K extends RecordKind>(kind: K, row: InventoryRow): DtoByKind[K] {
  const dto: Record<string, unknown> = { id: row.id, hostId: row.hostId, hostname: row.hostHostname };
  for (const column of kindSpec(kind).columns) {
    if (column.as !== null) dto[column.as] = answerValue(column, row[column.name]);
  }
  dto.observedAt = row.observedAt.toISOString();
  dto.stale = row.hostStatus === HOST_STATUS.offline;
  return dto as DtoByKind[K];
}
