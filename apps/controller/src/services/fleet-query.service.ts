import { Injectable } from '@nestjs/common';
import type { FleetSummary } from '../dtos/fleet.dto.js';
import { FleetQueryRepository } from '../repositories/fleet-query.repository.js';

// The summary counts seven tables (half a second at 500,000 containers): callers within this long
// of one another share one answer, and concurrent callers share one query.
export const SUMMARY_TTL_MS = 1_000;

@Injectable()
export class FleetQueryService {
  private cached: { at: number; value: Promise<FleetSummary> } | null = null;

  constructor(private readonly repo: FleetQueryRepository) {}

  summary(): Promise<FleetSummary> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < SUMMARY_TTL_MS) return this.cached.value;
    const value = this.compute();
    const entry = { at: now, value };
    this.cached = entry;
    // A failed query is not kept.
    value.catch(() => {
      if (this.cached === entry) this.cached = null;
    });
    return value;
  }

  private async compute(): Promise<FleetSummary> {
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
