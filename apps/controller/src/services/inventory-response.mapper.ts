import { HOST_STATUS, type KindColumn, kindSpec, type RecordKind } from '@corral/protocol';
import type {
  BridgeDto,
  ContainerDto,
  FindingDto,
  ImageDto,
  ImageOriginDto,
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

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

// The origin kept for an image (a row of ImageOrigin as JSON), or `unknown` with no first sighting
// when none is recorded: images seen before origins were kept, and for an instant a new one (its
// first sighting is written after the inventory that shows it, ImageOriginService).
export function toImageOrigin(row: Record<string, unknown> | null | undefined): ImageOriginDto {
  const at = str(row?.recordedAt);
  return {
    kind: (str(row?.kind) ?? 'unknown') as ImageOriginDto['kind'],
    registry: str(row?.registry),
    reference: str(row?.reference),
    digest: str(row?.digest),
    fromHostId: str(row?.fromHostId),
    fromHostname: str(row?.fromHostname),
    fromImage: str(row?.fromImage),
    uploadId: str(row?.uploadId),
    container: str(row?.container),
    commandId: str(row?.commandId),
    requestedBy: str(row?.requestedBy),
    at: at ? new Date(at).toISOString() : null,
    source: row?.source && typeof row.source === 'object' ? (row.source as Record<string, unknown>) : null,
  };
}

// What a kind answers beside its registry columns, from what its list query selects besides them.
const EXTRAS: Partial<Record<RecordKind, (row: InventoryRow) => Record<string, unknown>>> = {
  image: (row) => ({ origin: toImageOrigin(row.origin as Record<string, unknown> | null) }),
};

// Every kind's answer comes from its registry entry: the columns it shows, under their answer names.
export function toInventoryDto<K extends RecordKind>(kind: K, row: InventoryRow): DtoByKind[K] {
  const dto: Record<string, unknown> = { id: row.id, hostId: row.hostId, hostname: row.hostHostname };
  for (const column of kindSpec(kind).columns) {
    if (column.as !== null) dto[column.as] = answerValue(column, row[column.name]);
  }
  Object.assign(dto, EXTRAS[kind]?.(row));
  dto.observedAt = row.observedAt.toISOString();
  dto.stale = row.hostStatus === HOST_STATUS.offline;
  return dto as DtoByKind[K];
}
