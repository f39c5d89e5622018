import type { z } from 'zod';
import {
  type BridgeRecord,
  type ContainerRecord,
  type ImageRecord,
  type LeaseRecord,
  type NetworkRecord,
  RECORD_KINDS,
  RECORD_SCHEMAS,
  type RecordByKind,
  type RecordKind,
  type VolumeRecord,
} from './records.js';

// The kind registry: one entry per inventory kind says how its records are keyed, stored (table and
// columns), shown in API answers and announced as events. The controller's tables, SQL, answers and
// event names are derived from it; a test holds it against prisma/schema.prisma. Columns are
// described abstractly here; the controller turns them into SQL.

// Storage types, named for what they hold; the controller picks the SQL type of each.
export const COLUMN_TYPES = ['string', 'string[]', 'json', 'timestamp', 'int64', 'int32', 'boolean'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

type Field<R> = keyof R & string;

// A record's key is the first form whose `when` holds, its parts joined (a null field reads as '').
export type KeyPart<R> = string | { field: Field<R> };
export interface KeyForm<R> {
  when?: { field: Field<R>; is: string };
  parts: KeyPart<R>[];
}

export interface ColumnDef<R> {
  type: ColumnType;
  // The record field stored, when it is not the column's name.
  field?: Field<R>;
  // Made from the record, when it is not the field as is.
  value?: (record: R) => unknown;
  // Derived for lookups only (never null): not shown in answers.
  search?: true;
  // Name in API answers, when it is not the column's name.
  as?: string;
  // Description in API answers, when the record field's own does not fit.
  describe?: string;
}

interface KindDef<K extends RecordKind, Cols extends Record<string, ColumnDef<RecordByKind[K]>>, E extends string> {
  kind: K;
  // Table in prisma/schema.prisma.
  table: string;
  // Snapshot field and API path segment.
  plural: string;
  key: KeyForm<RecordByKind[K]>[];
  // In table order; every table also has id, hostId, key and observedAt.
  columns: Cols;
  // Lists are ordered by this column, then id.
  sort: NoInfer<keyof Cols & string>;
  events: {
    created: E;
    removed: E;
    // Any other change not named by a transition.
    updated: E;
    // Changes with a name of their own (the controller decides which applies).
    transitions?: readonly E[];
    // Columns that describe a row in its change events.
    summary: readonly NoInfer<keyof Cols & string>[];
    // Columns whose change alone is not worth an event (engine status text that ages, metrics).
    volatile?: readonly NoInfer<keyof Cols & string>[];
  };
}

export interface KindColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
  // The record field this column stores; null for search columns.
  field: string | null;
  // Name in API answers; null for search columns.
  as: string | null;
  describe: string | null;
  value(record: unknown): unknown;
}

export interface KindSpec<K extends RecordKind = RecordKind> {
  kind: K;
  table: string;
  plural: string;
  schema: (typeof RECORD_SCHEMAS)[K];
  key: KeyForm<RecordByKind[K]>[];
  keyOf(record: RecordByKind[K]): string;
  columns: KindColumn[];
  column(name: string): KindColumn;
  sort: string;
  events: {
    created: string;
    removed: string;
    updated: string;
    // created, removed, the transitions and updated.
    types: readonly string[];
    summary: readonly string[];
    volatile: readonly string[];
  };
}

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

function compileKey<R>(kind: string, forms: KeyForm<R>[]): (record: R) => string {
  const last = forms[forms.length - 1];
  if (!last || last.when) throw new Error(`kind ${kind}: the last key form must have no condition`);
  const compiled = forms.map((form) => {
    const parts = form.parts.map((p) =>
      typeof p === 'string' ? () => p : (r: R) => (r[p.field as keyof R] ?? '') as string,
    );
    return {
      holds: form.when ? (r: R) => (r[form.when!.field as keyof R] as unknown) === form.when!.is : () => true,
      join: (r: R) => {
        let key = '';
        for (const part of parts) key += part(r);
        return key;
      },
    };
  });
  return (record) => {
    for (const form of compiled) if (form.holds(record)) return form.join(record);
    throw new Error(`kind ${kind}: no key form applies`);
  };
}

function defineKind<
  K extends RecordKind,
  const Cols extends Record<string, ColumnDef<RecordByKind[K]>>,
  const E extends string,
>(def: KindDef<K, Cols, E>) {
  const schema = RECORD_SCHEMAS[def.kind];
  const shape = schema.shape as Record<string, z.ZodType>;
  const columns: KindColumn[] = Object.entries<ColumnDef<RecordByKind[K]>>(def.columns).map(([name, c]) => {
    const field = c.search ? null : (c.field ?? name);
    const fieldSchema = field === null ? undefined : shape[field];
    if (field !== null && !fieldSchema) throw new Error(`kind ${def.kind}: column ${name} stores no record field`);
    const read = c.value ?? ((r: RecordByKind[K]) => r[field as keyof RecordByKind[K]]);
    return {
      name,
      type: c.type,
      nullable: fieldSchema ? fieldSchema.safeParse(null).success : false,
      field,
      as: field === null ? null : (c.as ?? name),
      describe: c.describe ?? null,
      value: read as (record: unknown) => unknown,
    };
  });
  const byName = new Map(columns.map((c) => [c.name, c]));
  const { events } = def;
  const spec = {
    // The definitions as written, for types derived from them (AnswerShape).
    columnDefs: def.columns,
    kind: def.kind,
    table: def.table,
    plural: def.plural,
    schema,
    key: def.key,
    keyOf: compileKey(def.kind, def.key),
    columns,
    column(name: string) {
      const column = byName.get(name);
      if (!column) throw new Error(`kind ${def.kind} has no column ${name}`);
      return column;
    },
    sort: def.sort as string,
    events: {
      created: events.created,
      removed: events.removed,
      updated: events.updated,
      types: [events.created, events.removed, ...(events.transitions ?? []), events.updated] as readonly E[],
      summary: events.summary,
      volatile: events.volatile ?? [],
    },
  };
  return spec;
}

const container = defineKind({
  kind: 'container',
  table: 'Container',
  plural: 'containers',
  key: [
    { when: { field: 'runtime', is: 'docker' }, parts: ['docker:', { field: 'id' }] },
    { parts: ['lxc:', { field: 'lxcPath' }, '/', { field: 'name' }] },
  ],
  columns: {
    runtime: { type: 'string' },
    engineId: { type: 'string', field: 'id', describe: 'Docker container id, or the LXC container name' },
    name: { type: 'string' },
    lxcPath: { type: 'string' },
    image: { type: 'string' },
    imageId: { type: 'string' },
    command: { type: 'string' },
    state: { type: 'string' },
    status: { type: 'string' },
    createdAt: { type: 'timestamp' },
    startedAt: { type: 'timestamp' },
    labels: { type: 'json' },
    labelText: { type: 'string', search: true, value: (c: ContainerRecord) => labelText(c.labels) },
    ports: { type: 'json' },
    mounts: { type: 'json' },
    networks: { type: 'json' },
    ipv4: { type: 'string[]' },
    ipv6: { type: 'string[]' },
    macs: {
      type: 'string[]',
      search: true,
      value: (c: ContainerRecord) => [
        ...new Set(c.networks.map((n) => n.mac?.toLowerCase()).filter((m): m is string => !!m)),
      ],
    },
    restartPolicy: { type: 'string' },
    pid: { type: 'int32' },
    autostart: { type: 'boolean' },
    groups: { type: 'string[]' },
    memoryBytes: { type: 'int64' },
  },
  sort: 'name',
  events: {
    created: 'container-created',
    removed: 'container-removed',
    updated: 'container-updated',
    transitions: [
      'container-started',
      'container-stopped',
      'container-paused',
      'container-unpaused',
      'container-frozen',
      'container-unfrozen',
      'container-restarting',
    ],
    summary: ['name', 'runtime', 'state', 'ipv4'],
    volatile: ['status', 'memoryBytes'],
  },
});

const image = defineKind({
  kind: 'image',
  table: 'Image',
  plural: 'images',
  key: [{ parts: [{ field: 'id' }] }],
  columns: {
    engineId: { type: 'string', field: 'id', describe: 'Docker image id (sha256:...)' },
    tags: { type: 'string[]' },
    repoDigests: { type: 'string[]', value: (i: ImageRecord) => i.repoDigests ?? [] },
    sizeBytes: { type: 'int64' },
    createdAt: { type: 'timestamp' },
    labels: { type: 'json' },
    labelText: { type: 'string', search: true, value: (i: ImageRecord) => labelText(i.labels) },
  },
  sort: 'engineId',
  events: { created: 'image-added', removed: 'image-removed', updated: 'image-updated', summary: ['tags'] },
});

const volume = defineKind({
  kind: 'volume',
  table: 'Volume',
  plural: 'volumes',
  key: [{ parts: [{ field: 'name' }] }],
  columns: {
    name: { type: 'string' },
    driver: { type: 'string' },
    mountpoint: { type: 'string' },
    labels: { type: 'json' },
    labelText: { type: 'string', search: true, value: (v: VolumeRecord) => labelText(v.labels) },
    createdAt: { type: 'timestamp' },
    usedBy: { type: 'string[]' },
  },
  sort: 'name',
  events: { created: 'volume-created', removed: 'volume-removed', updated: 'volume-updated', summary: ['name'] },
});

const network = defineKind({
  kind: 'network',
  table: 'Network',
  plural: 'networks',
  key: [{ parts: [{ field: 'id' }] }],
  columns: {
    engineId: { type: 'string', field: 'id', describe: 'Docker network id' },
    name: { type: 'string' },
    driver: { type: 'string' },
    scope: { type: 'string' },
    subnets: { type: 'string[]' },
    gateways: { type: 'string[]' },
    bridge: { type: 'string' },
    internal: { type: 'boolean' },
    labels: { type: 'json' },
    labelText: { type: 'string', search: true, value: (n: NetworkRecord) => labelText(n.labels) },
    createdAt: { type: 'timestamp' },
  },
  sort: 'name',
  events: { created: 'network-created', removed: 'network-removed', updated: 'network-updated', summary: ['name'] },
});

const bridge = defineKind({
  kind: 'bridge',
  table: 'Bridge',
  plural: 'bridges',
  key: [{ parts: [{ field: 'name' }] }],
  columns: {
    name: { type: 'string' },
    mac: { type: 'string' },
    state: { type: 'string' },
    up: { type: 'boolean' },
    mtu: { type: 'int32' },
    addresses: { type: 'json' },
    // Addresses without prefix, for the ip lookup.
    ips: { type: 'string[]', search: true, value: (b: BridgeRecord) => b.addresses.map((a) => a.address) },
    stp: { type: 'boolean' },
    interfaces: { type: 'string[]' },
  },
  sort: 'name',
  events: {
    created: 'bridge-added',
    removed: 'bridge-removed',
    updated: 'bridge-updated',
    transitions: ['bridge-up', 'bridge-down'],
    summary: ['name', 'state', 'up', 'ips'],
  },
});

const lease = defineKind({
  kind: 'lease',
  table: 'Lease',
  plural: 'leases',
  key: [{ parts: [{ field: 'source' }, '#', { field: 'ip' }] }],
  columns: {
    source: { type: 'string' },
    bridge: { type: 'string' },
    expiresAt: { type: 'timestamp' },
    mac: { type: 'string', value: (l: LeaseRecord) => l.mac.toLowerCase() },
    ip: { type: 'string' },
    hostname: { type: 'string', as: 'clientHostname', describe: 'hostname the DHCP client sent' },
    clientId: { type: 'string' },
  },
  sort: 'ip',
  events: {
    created: 'lease-added',
    removed: 'lease-removed',
    updated: 'lease-updated',
    transitions: ['lease-renewed'],
    summary: ['ip', 'mac', 'hostname', 'expiresAt'],
  },
});

const finding = defineKind({
  kind: 'finding',
  table: 'DoctorFinding',
  plural: 'findings',
  key: [{ parts: [{ field: 'id' }] }],
  columns: {
    findingId: { type: 'string', field: 'id', describe: 'stable id of the finding on its host' },
    check: { type: 'string' },
    severity: { type: 'string' },
    subject: { type: 'string' },
    message: { type: 'string' },
    evidence: { type: 'string[]' },
    fix: { type: 'json' },
  },
  sort: 'findingId',
  events: {
    created: 'finding-appeared',
    removed: 'finding-cleared',
    updated: 'finding-updated',
    summary: ['findingId', 'severity', 'message'],
    // Evidence carries figures (ages, bytes free) that move while the finding stays the same.
    volatile: ['evidence'],
  },
});

export const KINDS = { container, image, volume, network, bridge, lease, finding } as const;
export type KindEventType<K extends RecordKind> = (typeof KINDS)[K]['events']['types'][number];
export type InventoryEventType = KindEventType<RecordKind>;

// Every kind's entry, in RECORD_KINDS order.
export const KIND_SPECS: readonly KindSpec[] = RECORD_KINDS.map((k) => KINDS[k] as unknown as KindSpec);

// The fields of a kind's API answer (less Corral's id, host and freshness): the columns shown, named
// as answered, each with its record field's schema (and description, when the column gives one).
type Defs<K extends RecordKind> = (typeof KINDS)[K]['columnDefs'];
type Shape<K extends RecordKind> = (typeof RECORD_SCHEMAS)[K]['shape'];
type FieldOf<D, C> = D extends { field: infer F extends string } ? F : C;
export type AnswerShape<K extends RecordKind> = {
  [C in keyof Defs<K> & string as Defs<K>[C] extends { search: true }
    ? never
    : Defs<K>[C] extends { as: infer A extends string }
      ? A
      : C]: Shape<K>[FieldOf<Defs<K>[C], C> & keyof Shape<K>];
};

export function answerShape<K extends RecordKind>(kind: K): AnswerShape<K> {
  const spec = kindSpec(kind);
  const shape = spec.schema.shape as Record<string, z.ZodType>;
  return Object.fromEntries(
    spec.columns
      .filter((c) => c.as !== null)
      .map((c) => [c.as, c.describe ? shape[c.field!]!.describe(c.describe) : shape[c.field!]]),
  ) as AnswerShape<K>;
}

export function kindSpec<K extends RecordKind>(kind: K): KindSpec<K> {
  const spec = KINDS[kind] as unknown as KindSpec<K> | undefined;
  if (!spec) throw new Error(`unknown record kind ${String(kind)}`);
  return spec;
}
