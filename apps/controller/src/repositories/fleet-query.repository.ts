import { type HostStatus, KIND_SPECS } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import type { InventoryTable } from './inventory-tables.js';
import { anyOf } from './sql-helpers.js';
import { KYSELY } from './tokens.js';

export type InventoryCounts = Record<
  'containers' | 'images' | 'volumes' | 'networks' | 'bridges' | 'leases' | 'findings',
  number
>;
type Plural = keyof InventoryCounts;
// A host's row counts, and its containers by state (running, exited, ...).
export type HostInventoryCounts = InventoryCounts & { containersByState: Record<string, number> };

export interface FleetAggregates {
  hostsByStatus: { status: HostStatus; count: number }[];
  containersByRuntimeState: { runtime: string; state: string; count: number }[];
  totals: InventoryCounts;
}

const KINDS = KIND_SPECS.map((k) => ({ plural: k.plural as Plural, table: k.table as InventoryTable }));
const count = sql<number>`count(*)::int`;

// Aggregates only: counts come from GROUP BY / COUNT in Postgres, never from loading rows.
@Injectable()
export class FleetQueryRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  async aggregates(): Promise<FleetAggregates> {
    const q = fleetQueries;
    const [hostsByStatus, containersByRuntimeState, totals] = await Promise.all([
      q.hostsByStatus(this.db).execute(),
      q.containersByRuntimeState(this.db).execute(),
      q.totals().execute(this.db),
    ]);
    return {
      hostsByStatus,
      containersByRuntimeState,
      totals: { ...totals.rows[0]!, containers: sum(containersByRuntimeState) },
    };
  }

  // Row counts per host for one page of hosts: one statement, a GROUP BY per table, and one by state.
  async countsByHost(hostIds: string[]): Promise<Map<string, HostInventoryCounts>> {
    const counts = new Map<string, HostInventoryCounts>(
      hostIds.map((id) => [
        id,
        {
          containers: 0,
          images: 0,
          volumes: 0,
          networks: 0,
          bridges: 0,
          leases: 0,
          findings: 0,
          containersByState: {},
        },
      ]),
    );
    if (hostIds.length === 0) return counts;
    const [groups, states] = await Promise.all([
      fleetQueries.countsByHost(this.db, hostIds).execute(),
      fleetQueries.containerStatesByHost(this.db, hostIds).execute(),
    ]);
    for (const g of groups) {
      const entry = counts.get(g.hostId);
      if (entry) entry[g.kind] = g.count;
    }
    for (const g of states) {
      const entry = counts.get(g.hostId);
      if (entry) entry.containersByState[g.state] = g.count;
    }
    return counts;
  }
}

const sum = (groups: { count: number }[]) => groups.reduce((n, g) => n + g.count, 0);

export const fleetQueries = {
  hostsByStatus: (db: Db) =>
    db
      .selectFrom('Host')
      .select(['status', count.as('count')])
      .groupBy('status'),

  containersByRuntimeState: (db: Db) =>
    db
      .selectFrom('Container')
      .select(['runtime', 'state', count.as('count')])
      .groupBy(['runtime', 'state']),

  // Containers are summed from their groups instead.
  totals: () =>
    sql<Omit<InventoryCounts, 'containers'>>`SELECT ${sql.join(
      KINDS.filter((k) => k.plural !== 'containers').map(
        (k) => sql`(SELECT count(*)::int FROM ${sql.table(k.table)}) AS ${sql.ref(k.plural)}`,
      ),
    )}`,

  countsByHost: (db: Db, hostIds: string[]) => {
    const [first, ...rest] = KINDS.map((k) =>
      db
        .selectFrom(k.table)
        .select([sql.lit(k.plural).$castTo<Plural>().as('kind'), 'hostId', count.as('count')])
        .where('hostId', '=', anyOf(hostIds))
        .groupBy('hostId'),
    );
    return rest.reduce((query, next) => query.unionAll(next), first!);
  },

  containerStatesByHost: (db: Db, hostIds: string[]) =>
    db
      .selectFrom('Container')
      .select(['hostId', 'state', count.as('count')])
      .where('hostId', '=', anyOf(hostIds))
      .groupBy(['hostId', 'state']),
};
