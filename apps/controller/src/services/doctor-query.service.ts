import { HOST_STATUS, type HostStatus } from '@corral/protocol';
import { Injectable } from '@nestjs/common';
import type { FleetDoctorQuery, HostDoctor } from '../dtos/doctor.dto.js';
import type { FindingDto } from '../dtos/inventory.dto.js';
import { DoctorRepository } from '../repositories/doctor.repository.js';
import { InventoryQueryRepository } from '../repositories/inventory-query.repository.js';
import { NotFoundError } from './errors.js';
import { type InventoryRow, toInventoryDto } from './inventory-response.mapper.js';

const RANK = { critical: 0, warning: 1, info: 2 } as const;
type Severity = keyof typeof RANK;
const rank = (s: string) => RANK[s as Severity] ?? 3;
const noCounts = () => ({ critical: 0, warning: 0, info: 0 });

// The doctor's findings as the inventory holds them: one host's, or the fleet's by host and severity.
@Injectable()
export class DoctorQueryService {
  constructor(
    private readonly repo: DoctorRepository,
    private readonly hosts: InventoryQueryRepository,
  ) {}

  async host(hostId: string): Promise<HostDoctor> {
    const [host] = await this.hosts.list('hosts', { id: hostId }, { limit: 1 });
    if (!host) throw new NotFoundError(`no host with id ${hostId}`);
    const rows = await this.repo.findings({ hostId });
    return summary(host.id, host.hostname, host.status as HostStatus, rows as unknown as InventoryRow[]);
  }

  async fleet(query: FleetDoctorQuery) {
    const rows = (await this.repo.findings({ severity: query.severity })) as unknown as InventoryRow[];
    const byHost = new Map<string, InventoryRow[]>();
    for (const row of rows) byHost.set(row.hostId, [...(byHost.get(row.hostId) ?? []), row]);
    const hosts = [...byHost.values()].map((list) =>
      summary(list[0]!.hostId, list[0]!.hostHostname, list[0]!.hostStatus, list),
    );
    hosts.sort(
      (a, b) =>
        b.counts.critical - a.counts.critical ||
        b.counts.warning - a.counts.warning ||
        a.hostname.localeCompare(b.hostname),
    );
    const totals = noCounts();
    for (const h of hosts) for (const s of Object.keys(totals) as Severity[]) totals[s] += h.counts[s];
    return { totals, hosts };
  }
}

function summary(hostId: string, hostname: string, status: HostStatus, rows: InventoryRow[]): HostDoctor {
  const findings: FindingDto[] = rows
    .map((r) => toInventoryDto('finding', r))
    .sort((a, b) => rank(a.severity) - rank(b.severity) || a.findingId.localeCompare(b.findingId));
  const counts = noCounts();
  for (const f of findings) if (f.severity in counts) counts[f.severity as Severity]++;
  const checkedAt = rows.reduce<Date | null>((m, r) => (!m || r.observedAt > m ? r.observedAt : m), null);
  return {
    hostId,
    hostname,
    stale: status === HOST_STATUS.offline,
    checkedAt: checkedAt ? checkedAt.toISOString() : null,
    counts,
    findings,
  };
}
