import { HOST_STATUS, type HostStatus, isUuid, KINDS } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import {
  type AliasedRawBuilder,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type SqlBool,
  sql,
} from 'kysely';
import type { DB, Db } from '../database/kysely.js';
import type { Cursor } from '../dtos/pagination.dto.js';
import type { InventoryTable } from './inventory-tables.js';
import { anyOf } from './sql-helpers.js';
import { KYSELY } from './tokens.js';

// The holding host's name and status, joined onto every inventory row.
export interface HostJoin {
  hostHostname: string;
  hostStatus: HostStatus;
}

export interface RowByResource {
  hosts: Selectable<DB['Host']>;
  containers: Selectable<DB['Container']> & HostJoin;
  images: Selectable<DB['Image']> & HostJoin & { origin: Record<string, unknown> | null };
  volumes: Selectable<DB['Volume']> & HostJoin;
  networks: Selectable<DB['Network']> & HostJoin;
  bridges: Selectable<DB['Bridge']> & HostJoin;
  leases: Selectable<DB['Lease']> & HostJoin;
}
export type Resource = keyof RowByResource;

export interface ListFilters {
  id?: string;
  host?: string;
  runtime?: string;
  state?: string[];
  name?: string;
  label?: string;
  ip?: string;
  mac?: string;
  stale?: boolean;
  status?: HostStatus;
  origin?: string;
  digest?: string;
  imageOrigin?: string;
}

export interface PageRequest {
  limit: number;
  after?: Cursor;
}

// Filters and sort of one table `t`, typed against that table (and its host `h`).
type Eb<T extends keyof DB> = ExpressionBuilder<{ t: DB[T]; h: DB['Host'] }, 't' | 'h'>;
type Filters<T extends keyof DB> = {
  [F in keyof ListFilters]?: (eb: Eb<T>, value: NonNullable<ListFilters[F]>) => Expression<SqlBool>;
};
interface ListSpec<T extends keyof DB> {
  table: T;
  sort: keyof DB[T] & string;
  filters: Filters<T>;
  // Columns answered beside the table's own (an image's origin).
  also?: Record<string, RawBuilder<unknown>>;
}

// Filters that match few rows wherever they apply; see list(). (`host` is always one of them.)
const SELECTIVE = ['ip', 'mac'] as const;
const DRIVING = new Set<string>(['host', ...SELECTIVE]);

// ILIKE pattern for a substring, with LIKE's own wildcards taken literally.
export function substringPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// The origin kept for an image on its host (image-origin.repository.ts), by Docker image id.
const originOf = (engineId: RawBuilder<unknown>, also: RawBuilder<unknown> = sql``) =>
  sql`SELECT 1 FROM "ImageOrigin" o WHERE o."hostId" = t."hostId" AND o."engineId" = ${engineId} ${also}`;
// Rows whose image has origin `kind`; `unknown` is also an image with none recorded yet.
const hasOrigin = (engineId: RawBuilder<unknown>, kind: string) =>
  kind === 'unknown'
    ? sql<SqlBool>`NOT EXISTS (${originOf(engineId, sql`AND o.kind <> 'unknown'`)})`
    : sql<SqlBool>`EXISTS (${originOf(engineId, sql`AND o.kind = ${kind}`)})`;

const holds = (value: string) => sql<string[]>`ARRAY[${value}::text]`;
const staleness = (status: 'h.status' | 't.status') => (eb: Eb<'Host'>, stale: boolean) =>
  eb(status, '=', stale ? HOST_STATUS.offline : HOST_STATUS.online);

// Filters every inventory table has, written once for a table with the columns they read.
function common<T extends InventoryTable>(): Filters<T> {
  const f: Filters<'Volume'> = {
    id: (eb, v) => eb('t.id', '=', v),
    stale: staleness('h.status') as Filters<'Volume'>['stale'],
    name: (eb, v) => eb('t.name', 'ilike', substringPattern(v)),
    label: (eb, v) => eb('t.labelText', 'ilike', substringPattern(v)),
  };
  return f as unknown as Filters<T>;
}

// The sort column of each inventory list is the kind registry's.
const inventory = <T extends InventoryTable>(kind: keyof typeof KINDS, filters: Filters<T>): ListSpec<T> => ({
  table: KINDS[kind].table as T,
  sort: KINDS[kind].sort as keyof DB[T] & string,
  filters,
});

const SPECS: { [R in Resource]: ListSpec<keyof DB> } = {
  hosts: {
    table: 'Host',
    sort: 'hostname',
    filters: {
      id: (eb, v) => eb('t.id', '=', v),
      name: (eb, v) => eb('t.hostname', 'ilike', substringPattern(v)),
      label: (_eb, v) =>
        sql<SqlBool>`EXISTS (SELECT 1 FROM jsonb_each_text(t."agentLabels" || t.labels) l WHERE l.key || '=' || l.value ILIKE ${substringPattern(v)})`,
      status: (eb, v) => eb('t.status', '=', v),
      stale: staleness('t.status'),
    } satisfies Filters<'Host'>,
  },
  containers: inventory<'Container'>('container', {
    ...common<'Container'>(),
    // Docker containers whose image has that origin on their host (LXC containers have no image).
    imageOrigin: (_eb, v) => sql<SqlBool>`(t."imageId" IS NOT NULL AND ${hasOrigin(sql`t."imageId"`, v)})`,
    runtime: (eb, v) => eb('t.runtime', '=', v),
    state: (eb, v) => eb('t.state', 'in', v),
    // One column by address family: the IPv4 one has a GIN index (an OR with ipv6 would scan).
    ip: (eb, v) => eb(v.includes(':') ? 't.ipv6' : 't.ipv4', '@>', holds(v)),
    mac: (eb, v) => eb('t.macs', '@>', holds(v)),
  }),
  images: {
    ...inventory<'Image'>('image', {
      ...common<'Image'>(),
      name: (_eb, v) => sql<SqlBool>`array_to_string(t.tags, ' ') ILIKE ${substringPattern(v)}`,
      origin: (_eb, v) => hasOrigin(sql`t."engineId"`, v),
      // A repo digest the engine reports, or the registry digest its origin is traced to (copies).
      digest: (_eb, v) =>
        sql<SqlBool>`(EXISTS (SELECT 1 FROM unnest(t."repoDigests") d WHERE d LIKE ${`%@${v}`}) OR EXISTS (${originOf(sql`t."engineId"`, sql`AND o.digest = ${v}`)}))`,
    }),
    also: {
      origin: sql`(SELECT to_jsonb(o) FROM "ImageOrigin" o WHERE o."hostId" = t."hostId" AND o."engineId" = t."engineId")`,
    },
  },
  volumes: inventory<'Volume'>('volume', common<'Volume'>()),
  networks: inventory<'Network'>('network', common<'Network'>()),
  bridges: inventory<'Bridge'>('bridge', {
    ...common<'Bridge'>(),
    label: undefined,
    ip: (eb, v) => eb('t.ips', '@>', holds(v)),
  }),
  leases: inventory<'Lease'>('lease', {
    ...common<'Lease'>(),
    label: undefined,
    name: (eb, v) => eb('t.hostname', 'ilike', substringPattern(v)),
    ip: (eb, v) => eb('t.ip', '=', v),
    mac: (eb, v) => eb('t.mac', '=', v),
  }),
} as unknown as { [R in Resource]: ListSpec<keyof DB> };

// The spec as list() uses it: one inventory table stands for any (the columns it names are checked
// in SPECS, per table).
type AnySpec = ListSpec<'Volume'>;

// Keyset pages over one table: WHERE (sort, id) > cursor ORDER BY sort, id, so a page costs the same
// wherever it starts and rows written meanwhile never shift the walk.
@Injectable()
export class InventoryQueryRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  async list<R extends Resource>(resource: R, filters: ListFilters, page: PageRequest): Promise<RowByResource[R][]> {
    let hostIds: string[] | undefined;
    if (resource !== 'hosts' && filters.host !== undefined) {
      hostIds = isUuid(filters.host)
        ? [filters.host]
        : (await inventoryQueries.hostIdsNamed(this.db, filters.host).execute()).map((h) => h.id);
    }
    const rows = await inventoryQueries.list(this.db, resource, filters, page, hostIds).execute();
    return rows as RowByResource[R][];
  }

  cursorOf<R extends Resource>(resource: R, row: RowByResource[R]): Cursor {
    const sort = SPECS[resource].sort as keyof RowByResource[R];
    return { key: String(row[sort]), id: row.id };
  }
}

export const inventoryQueries = {
  hostIdsNamed: (db: Db, hostname: string) =>
    db
      .selectFrom('Host')
      .select('id')
      .where((eb) => eb(eb.fn('lower', ['hostname']), '=', eb.fn('lower', [eb.val(hostname)]))),

  // `hostIds`: the hosts the `host` filter names (inventory lists only).
  list: (db: Db, resource: Resource, filters: ListFilters, page: PageRequest, hostIds?: string[]) => {
    const spec = SPECS[resource] as unknown as AnySpec;
    const k = db as unknown as Kysely<{ Volume: DB['Volume']; Host: DB['Host'] }>;
    const isInventory = resource !== 'hosts';
    // Filters that pick out few rows (one host's, one address's) are applied first, in a subquery
    // fenced with OFFSET 0 that their indexes serve, and only those rows are sorted and filtered
    // further. Left to itself the planner guessed such filters match many rows and walked the whole
    // sort index for them: about 1 s for one host and 1.5 s for one address at 500,000 containers.
    const driving: ((eb: Eb<'Volume'>) => Expression<SqlBool>)[] = [];
    if (isInventory) {
      if (hostIds !== undefined) driving.push((eb) => eb('t.hostId', '=', anyOf(hostIds)));
      for (const name of SELECTIVE) {
        const value = filters[name];
        const filter = spec.filters[name];
        if (value !== undefined && filter) driving.push((eb) => filter(eb, value));
      }
    }
    const table = `${spec.table} as t` as 'Volume as t';
    // The fenced subquery has the table's columns, so it stands where the table would.
    const source = (
      driving.length > 0
        ? k
            .selectFrom(table)
            .selectAll('t')
            .where((eb) => eb.and(driving.map((d) => d(eb as unknown as Eb<'Volume'>))))
            .modifyEnd(sql`OFFSET 0`)
            .as('t')
        : table
    ) as typeof table;
    let query = isInventory
      ? k
          .selectFrom(source)
          .innerJoin('Host as h', 'h.id', 't.hostId')
          .selectAll('t')
          .select(['h.hostname as hostHostname', 'h.status as hostStatus'])
          .select(
            Object.entries(spec.also ?? {}).map(
              ([name, column]) => column.as(name) as AliasedRawBuilder<unknown, 'origin'>,
            ),
          )
      : k.selectFrom(source).selectAll('t');
    for (const [name, value] of Object.entries(filters)) {
      if (value === undefined || (driving.length > 0 && DRIVING.has(name))) continue;
      const filter = spec.filters[name as keyof ListFilters] as
        | ((eb: Eb<'Volume'>, v: unknown) => Expression<SqlBool>)
        | undefined;
      if (!filter) throw new Error(`filter ${name} does not apply to ${resource}`);
      query = query.where((eb) => filter(eb as unknown as Eb<'Volume'>, value));
    }
    const sort = sql.ref(`t.${spec.sort}`);
    if (page.after) {
      const after = page.after;
      query = query.where(sql<SqlBool>`(${sort}, t.id) > (${after.key}, ${after.id}::uuid)`);
    }
    return query.orderBy(sort).orderBy('t.id').limit(page.limit);
  },
};
