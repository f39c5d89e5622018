import {
  type BridgeRecord,
  type ContainerRecord,
  type ImageRecord,
  type LeaseRecord,
  type NetworkRecord,
  type RecordByKind,
  type RecordKind,
  recordKey,
  type VolumeRecord,
} from '@corral/protocol';

export type PgType = 'text' | 'text[]' | 'jsonb' | 'timestamptz' | 'bigint' | 'integer' | 'boolean';

export interface TableSpec<K extends RecordKind> {
  table: string;
  columns: Record<string, PgType>;
  // Columns that describe a row in its change events.
  summary: string[];
  // Columns whose change alone is not worth an event (engine status text that ages, metrics).
  volatile?: string[];
  toRow(record: RecordByKind[K]): Record<string, unknown>;
}

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

const container: TableSpec<'container'> = {
  table: 'Container',
  summary: ['name', 'runtime', 'state', 'ipv4'],
  volatile: ['status', 'memoryBytes'],
  columns: {
    runtime: 'text',
    engineId: 'text',
    name: 'text',
    lxcPath: 'text',
    image: 'text',
    imageId: 'text',
    command: 'text',
    state: 'text',
    status: 'text',
    createdAt: 'timestamptz',
    startedAt: 'timestamptz',
    labels: 'jsonb',
    labelText: 'text',
    ports: 'jsonb',
    mounts: 'jsonb',
    networks: 'jsonb',
    ipv4: 'text[]',
    ipv6: 'text[]',
    macs: 'text[]',
    restartPolicy: 'text',
    pid: 'integer',
    autostart: 'boolean',
    groups: 'text[]',
    memoryBytes: 'bigint',
  },
  toRow: (c: ContainerRecord) => ({
    runtime: c.runtime,
    engineId: c.id,
    name: c.name,
    lxcPath: c.lxcPath,
    image: c.image,
    imageId: c.imageId,
    command: c.command,
    state: c.state,
    status: c.status,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    labels: c.labels,
    labelText: labelText(c.labels),
    ports: c.ports,
    mounts: c.mounts,
    networks: c.networks,
    ipv4: c.ipv4,
    ipv6: c.ipv6,
    macs: [...new Set(c.networks.map((n) => n.mac?.toLowerCase()).filter((m): m is string => !!m))],
    restartPolicy: c.restartPolicy,
    pid: c.pid,
    autostart: c.autostart,
    groups: c.groups,
    memoryBytes: c.memoryBytes,
  }),
};

const image: TableSpec<'image'> = {
  table: 'Image',
  summary: ['tags'],
  columns: {
    engineId: 'text',
    tags: 'text[]',
    sizeBytes: 'bigint',
    createdAt: 'timestamptz',
    labels: 'jsonb',
    labelText: 'text',
  },
  toRow: (i: ImageRecord) => ({
    engineId: i.id,
    tags: i.tags,
    sizeBytes: i.sizeBytes,
    createdAt: i.createdAt,
    labels: i.labels,
    labelText: labelText(i.labels),
  }),
};

const volume: TableSpec<'volume'> = {
  table: 'Volume',
  summary: ['name'],
  columns: {
    name: 'text',
    driver: 'text',
    mountpoint: 'text',
    labels: 'jsonb',
    labelText: 'text',
    createdAt: 'timestamptz',
    usedBy: 'text[]',
  },
  toRow: (v: VolumeRecord) => ({
    name: v.name,
    driver: v.driver,
    mountpoint: v.mountpoint,
    labels: v.labels,
    labelText: labelText(v.labels),
    createdAt: v.createdAt,
    usedBy: v.usedBy,
  }),
};

const network: TableSpec<'network'> = {
  table: 'Network',
  summary: ['name'],
  columns: {
    engineId: 'text',
    name: 'text',
    driver: 'text',
    scope: 'text',
    subnets: 'text[]',
    gateways: 'text[]',
    bridge: 'text',
    internal: 'boolean',
    labels: 'jsonb',
    labelText: 'text',
    createdAt: 'timestamptz',
  },
  toRow: (n: NetworkRecord) => ({
    engineId: n.id,
    name: n.name,
    driver: n.driver,
    scope: n.scope,
    subnets: n.subnets,
    gateways: n.gateways,
    bridge: n.bridge,
    internal: n.internal,
    labels: n.labels,
    labelText: labelText(n.labels),
    createdAt: n.createdAt,
  }),
};

const bridge: TableSpec<'bridge'> = {
  table: 'Bridge',
  summary: ['name', 'state', 'up', 'ips'],
  columns: {
    name: 'text',
    mac: 'text',
    state: 'text',
    up: 'boolean',
    mtu: 'integer',
    addresses: 'jsonb',
    ips: 'text[]',
    stp: 'boolean',
    interfaces: 'text[]',
  },
  toRow: (b: BridgeRecord) => ({
    name: b.name,
    mac: b.mac,
    state: b.state,
    up: b.up,
    mtu: b.mtu,
    addresses: b.addresses,
    ips: b.addresses.map((a) => a.address),
    stp: b.stp,
    interfaces: b.interfaces,
  }),
};

const lease: TableSpec<'lease'> = {
  table: 'Lease',
  summary: ['ip', 'mac', 'hostname', 'expiresAt'],
  columns: {
    source: 'text',
    bridge: 'text',
    expiresAt: 'timestamptz',
    mac: 'text',
    ip: 'text',
    hostname: 'text',
    clientId: 'text',
  },
  toRow: (l: LeaseRecord) => ({
    source: l.source,
    bridge: l.bridge,
    expiresAt: l.expiresAt,
    mac: l.mac.toLowerCase(),
    ip: l.ip,
    hostname: l.hostname,
    clientId: l.clientId,
  }),
};

export const TABLES: { [K in RecordKind]: TableSpec<K> } = { container, image, volume, network, bridge, lease };

export function rowFor<K extends RecordKind>(
  kind: K,
  hostId: string,
  record: RecordByKind[K],
): Record<string, unknown> {
  return { hostId, key: recordKey(kind, record), ...TABLES[kind].toRow(record) };
}
