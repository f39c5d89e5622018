import type { BridgeRecord, ContainerRecord, ContainerState, RuntimeName } from '@corral/protocol';
import type { BridgeDto, ContainerDto, ImageDto, LeaseDto, NetworkDto, VolumeDto } from '../dtos/inventory.dto.js';
import type { HostJoin, RowByResource } from '../repositories/inventory-query.repository.js';

export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
// BigInt never reaches JSON; byte counts stay far below 2^53.
export const num = (n: bigint | null): number | null => (n === null ? null : Number(n));
const labels = (v: unknown) => (v ?? {}) as Record<string, string>;

const placement = (row: { hostId: string } & HostJoin) => ({ hostId: row.hostId, hostname: row.hostHostname });
const freshness = (row: { observedAt: Date } & HostJoin) => ({
  observedAt: row.observedAt.toISOString(),
  stale: row.hostStatus === 'offline',
});

// JSON columns hold what the agent sent, validated against the protocol schemas on the way in.
export function toContainerDto(row: RowByResource['containers']): ContainerDto {
  return {
    id: row.id,
    ...placement(row),
    runtime: row.runtime as RuntimeName,
    engineId: row.engineId,
    name: row.name,
    lxcPath: row.lxcPath,
    image: row.image,
    imageId: row.imageId,
    command: row.command,
    state: row.state as ContainerState,
    status: row.status,
    createdAt: iso(row.createdAt),
    startedAt: iso(row.startedAt),
    labels: labels(row.labels),
    ports: row.ports as ContainerRecord['ports'],
    mounts: row.mounts as ContainerRecord['mounts'],
    networks: row.networks as ContainerRecord['networks'],
    ipv4: row.ipv4,
    ipv6: row.ipv6,
    restartPolicy: row.restartPolicy,
    pid: row.pid,
    autostart: row.autostart,
    groups: row.groups,
    memoryBytes: num(row.memoryBytes),
    ...freshness(row),
  };
}

export function toImageDto(row: RowByResource['images']): ImageDto {
  return {
    id: row.id,
    ...placement(row),
    engineId: row.engineId,
    tags: row.tags,
    sizeBytes: Number(row.sizeBytes),
    createdAt: iso(row.createdAt),
    labels: labels(row.labels),
    ...freshness(row),
  };
}

export function toVolumeDto(row: RowByResource['volumes']): VolumeDto {
  return {
    id: row.id,
    ...placement(row),
    name: row.name,
    driver: row.driver,
    mountpoint: row.mountpoint,
    labels: labels(row.labels),
    createdAt: iso(row.createdAt),
    usedBy: row.usedBy,
    ...freshness(row),
  };
}

export function toNetworkDto(row: RowByResource['networks']): NetworkDto {
  return {
    id: row.id,
    ...placement(row),
    engineId: row.engineId,
    name: row.name,
    driver: row.driver,
    scope: row.scope,
    subnets: row.subnets,
    gateways: row.gateways,
    bridge: row.bridge,
    internal: row.internal,
    labels: labels(row.labels),
    createdAt: iso(row.createdAt),
    ...freshness(row),
  };
}

export function toBridgeDto(row: RowByResource['bridges']): BridgeDto {
  return {
    id: row.id,
    ...placement(row),
    name: row.name,
    mac: row.mac,
    state: row.state,
    up: row.up,
    mtu: row.mtu,
    addresses: row.addresses as BridgeRecord['addresses'],
    stp: row.stp,
    interfaces: row.interfaces,
    ...freshness(row),
  };
}

export function toLeaseDto(row: RowByResource['leases']): LeaseDto {
  return {
    id: row.id,
    ...placement(row),
    source: row.source,
    bridge: row.bridge,
    expiresAt: iso(row.expiresAt),
    mac: row.mac,
    ip: row.ip,
    clientHostname: row.hostname,
    clientId: row.clientId,
    ...freshness(row),
  };
}
