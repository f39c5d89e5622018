import { HOST_STATUS, type HostFacts, type LoadReport, type RuntimeStatus } from '@corral/protocol';
import { Injectable } from '@nestjs/common';
import type { HostDto } from '../dtos/host.dto.js';
import { type Page, toPage } from '../dtos/pagination.dto.js';
import { FleetQueryRepository, type HostInventoryCounts } from '../repositories/fleet-query.repository.js';
import { InventoryQueryRepository, type RowByResource } from '../repositories/inventory-query.repository.js';
import { NotFoundError } from './errors.js';
import { effectiveLabels } from './host-labels.js';
import type { ListQuery } from './inventory-query.service.js';
import { iso } from './inventory-response.mapper.js';

type HostRow = RowByResource['hosts'];

const NO_COUNTS: HostInventoryCounts = {
  containers: 0,
  images: 0,
  volumes: 0,
  networks: 0,
  bridges: 0,
  leases: 0,
  findings: 0,
  containersByState: {},
};

@Injectable()
export class HostQueryService {
  constructor(
    private readonly rows: InventoryQueryRepository,
    private readonly fleet: FleetQueryRepository,
  ) {}

  async list(query: ListQuery): Promise<Page<HostDto>> {
    const { limit, cursor, ...filters } = query;
    const rows = await this.rows.list('hosts', filters, { limit: limit + 1, after: cursor });
    const counts = await this.fleet.countsByHost(rows.slice(0, limit).map((r) => r.id));
    return toPage(
      rows,
      limit,
      (row) => this.rows.cursorOf('hosts', row),
      (row) => toHostDto(row, counts.get(row.id) ?? NO_COUNTS),
    );
  }

  async get(id: string): Promise<HostDto> {
    const [row] = await this.rows.list('hosts', { id }, { limit: 1 });
    if (!row) throw new NotFoundError(`no host with id ${id}`);
    const counts = await this.fleet.countsByHost([row.id]);
    return toHostDto(row, counts.get(row.id) ?? NO_COUNTS);
  }
}

// JSON columns hold what the agent sent, validated against the protocol schemas on the way in.
function toHostDto(row: HostRow, counts: HostInventoryCounts): HostDto {
  return {
    id: row.id,
    agentId: row.agentId,
    hostname: row.hostname,
    status: row.status,
    stale: row.status === HOST_STATUS.offline,
    lastSeenAt: iso(row.lastSeenAt),
    connectedAt: iso(row.connectedAt),
    offlineAt: iso(row.offlineAt),
    agentVersion: row.agentVersion,
    protocolVersion: row.protocolVersion,
    facts: (row.facts ?? null) as HostFacts | null,
    runtimes: (row.runtimes ?? []) as RuntimeStatus[],
    load: (row.load ?? null) as LoadReport | null,
    labels: (row.labels ?? {}) as Record<string, string>,
    agentLabels: (row.agentLabels ?? {}) as Record<string, string>,
    effectiveLabels: effectiveLabels(row),
    cordoned: row.cordoned,
    cordonedAt: iso(row.cordonedAt),
    cordonReason: row.cordonReason,
    counts,
    createdAt: row.createdAt.toISOString(),
  };
}
