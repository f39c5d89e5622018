import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

export type InventoryCounts = Record<'containers' | 'images' | 'volumes' | 'networks' | 'bridges' | 'leases', number>;

export interface FleetAggregates {
  hostsByStatus: { status: 'online' | 'offline'; count: number }[];
  containersByRuntimeState: { runtime: string; state: string; count: number }[];
  totals: InventoryCounts;
}

// Aggregates only: counts come from GROUP BY / COUNT in Postgres, never from loading rows.
@Injectable()
export class FleetQueryRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async aggregates(): Promise<FleetAggregates> {
    const p = this.prisma;
    const [hosts, containers, images, volumes, networks, bridges, leases] = await Promise.all([
      p.host.groupBy({ by: ['status'], _count: { _all: true } }),
      p.container.groupBy({ by: ['runtime', 'state'], _count: { _all: true } }),
      p.image.count(),
      p.volume.count(),
      p.network.count(),
      p.bridge.count(),
      p.lease.count(),
    ]);
    const containersByRuntimeState = containers.map((g) => ({
      runtime: g.runtime,
      state: g.state,
      count: g._count._all,
    }));
    return {
      hostsByStatus: hosts.map((g) => ({ status: g.status, count: g._count._all })),
      containersByRuntimeState,
      totals: {
        containers: containersByRuntimeState.reduce((sum, g) => sum + g.count, 0),
        images,
        volumes,
        networks,
        bridges,
        leases,
      },
    };
  }

  // Row counts per host for one page of hosts: one GROUP BY per table.
  async countsByHost(hostIds: string[]): Promise<Map<string, InventoryCounts>> {
    const counts = new Map<string, InventoryCounts>(
      hostIds.map((id) => [id, { containers: 0, images: 0, volumes: 0, networks: 0, bridges: 0, leases: 0 }]),
    );
    if (hostIds.length === 0) return counts;
    const p = this.prisma;
    const where = { hostId: { in: hostIds } };
    const _count = { _all: true } as const;
    const groups = await Promise.all([
      p.container.groupBy({ by: ['hostId'], where, _count }),
      p.image.groupBy({ by: ['hostId'], where, _count }),
      p.volume.groupBy({ by: ['hostId'], where, _count }),
      p.network.groupBy({ by: ['hostId'], where, _count }),
      p.bridge.groupBy({ by: ['hostId'], where, _count }),
      p.lease.groupBy({ by: ['hostId'], where, _count }),
    ]);
    const kinds = ['containers', 'images', 'volumes', 'networks', 'bridges', 'leases'] as const;
    kinds.forEach((kind, i) => {
      for (const g of groups[i]!) {
        const entry = counts.get(g.hostId);
        if (entry) entry[kind] = g._count._all;
      }
    });
    return counts;
  }
}
