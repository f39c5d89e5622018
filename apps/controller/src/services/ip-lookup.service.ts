import type { ContainerState, HostStatus, RuntimeName } from '@corral/protocol';
import { Injectable } from '@nestjs/common';
import type { IpLookup, IpMatch } from '../dtos/ip-lookup.dto.js';
import { IpLookupRepository } from '../repositories/ip-lookup.repository.js';
import { NotFoundError } from './errors.js';
import { iso } from './inventory-response.mapper.js';

const KIND_ORDER: IpMatch['kind'][] = ['container', 'lease', 'bridge', 'network'];

@Injectable()
export class IpLookupService {
  constructor(private readonly repo: IpLookupRepository) {}

  // `address` is a validated IP address, lowercased.
  async lookup(address: string): Promise<IpLookup> {
    const rows = await this.repo.holders(address);
    const host = (r: { hostId: string; hostHostname: string; hostStatus: HostStatus }) => ({
      id: r.hostId,
      hostname: r.hostHostname,
      status: r.hostStatus,
    });
    const matches: IpMatch[] = [
      ...rows.containers.map((r) => ({
        kind: 'container' as const,
        host: host(r),
        id: r.id,
        name: r.name,
        runtime: r.runtime as RuntimeName,
        state: r.state as ContainerState,
      })),
      ...rows.leases.map((r) => ({
        kind: 'lease' as const,
        host: host(r),
        id: r.id,
        mac: r.mac,
        clientHostname: r.hostname,
        expiresAt: iso(r.expiresAt),
        bridge: r.bridge,
        source: r.source,
      })),
      ...rows.bridges.map((r) => ({ kind: 'bridge' as const, host: host(r), id: r.id, name: r.name, state: r.state })),
      ...rows.networks.map((r) => ({
        kind: 'network' as const,
        host: host(r),
        id: r.id,
        name: r.name,
        engineId: r.engineId,
        driver: r.driver,
        subnet: r.subnet,
      })),
    ];
    if (matches.length === 0) {
      throw new NotFoundError(`nothing in the inventory holds ${address}: no container, lease, bridge or network`);
    }
    matches.sort(
      (a, b) =>
        a.host.hostname.localeCompare(b.host.hostname) ||
        a.host.id.localeCompare(b.host.id) ||
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind),
    );
    return { address, matches };
  }
}
