import { Injectable } from '@nestjs/common';
import type { FleetSummary } from '../dtos/fleet.dto.js';
import { FleetQueryRepository } from '../repositories/fleet-query.repository.js';

@Injectable()
export class FleetQueryService {
  constructor(private readonly repo: FleetQueryRepository) {}

  async summary(): Promise<FleetSummary> {
    const { hostsByStatus, containersByRuntimeState, totals } = await this.repo.aggregates();
    const hosts = { online: 0, offline: 0, total: 0 };
    for (const g of hostsByStatus) {
      hosts[g.status] += g.count;
      hosts.total += g.count;
    }
    const containers: FleetSummary['containers'] = { docker: {}, lxc: {} };
    for (const g of containersByRuntimeState) {
      // Only docker and lxc exist; the protocol rejects any other runtime on the way in.
      const byState = containers[g.runtime as keyof FleetSummary['containers']];
      if (byState) byState[g.state] = (byState[g.state] ?? 0) + g.count;
    }
    return { hosts, containers, totals };
  }
}
