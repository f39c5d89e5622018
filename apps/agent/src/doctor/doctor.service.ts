import type { FindingRecord, Inventory } from '@corral/protocol';
import type { Collector, CollectorOutput } from '../collectors/collector.js';
import type { Logger } from '../lib/logger.js';
import { DOCKER_CHECKS } from './checks/docker.checks.js';
import { NETWORK_CHECKS } from './checks/network.checks.js';
import type { Check, DiskFact, DoctorFacts, DoctorFinding } from './doctor.facts.js';
import type { DoctorProbes } from './doctor.probes.js';

export const CHECKS: Check[] = [...NETWORK_CHECKS, ...DOCKER_CHECKS];

export interface DoctorDeps {
  // What the other collectors last saw; null before the host facts are in.
  inventory: () => Inventory | null;
  probes: DoctorProbes;
  dockerSocket: string;
  // Docker's data root, when the engine answers.
  dockerRoot: () => Promise<string | null>;
  lxcPaths: readonly string[];
  lxcNetScript: string | null;
  logger: Logger;
  now?: () => Date;
}

// Runs every check over the inventory and the probes. As a collector it reports the findings as the
// host's `finding` records, so they travel (and appear and clear) like any other inventory.
export class DoctorService implements Collector {
  readonly name = 'doctor';
  private readonly knownDnsmasq = new Map<string, string[]>();
  private latest: DoctorFinding[] = [];

  constructor(private readonly deps: DoctorDeps) {}

  async collect(): Promise<CollectorOutput> {
    const facts = await this.gather();
    if (!facts) return {};
    this.latest = runChecks(facts, this.deps.logger);
    return { findings: this.latest.map(publicFinding) };
  }

  findings(): DoctorFinding[] {
    return this.latest;
  }

  private async gather(): Promise<DoctorFacts | null> {
    const inv = this.deps.inventory();
    if (!inv) return null;
    const { probes, logger } = this.deps;
    // A probe that fails leaves its checks silent and says so; the others still run.
    const probe = async <T>(what: string, f: () => Promise<T>): Promise<T | null> => {
      try {
        return await f();
      } catch (error) {
        logger.warn(`doctor: cannot ${what}; its checks are skipped`, { error });
        return null;
      }
    };
    const [dnsmasq, firewall, leaseFiles, socketExists, disks] = await Promise.all([
      probe('list dnsmasq processes', () => probes.dnsmasq()),
      probe('read the iptables rules', () => probes.firewall()),
      probe('read the lease files', () => probes.leaseFiles()),
      probes.exists(this.deps.dockerSocket),
      this.disks(probe),
    ]);
    for (const d of dnsmasq ?? []) for (const i of d.interfaces) this.knownDnsmasq.set(i, d.argv);
    return {
      now: this.deps.now?.() ?? new Date(),
      facts: inv.facts,
      containers: inv.containers,
      volumes: inv.volumes,
      networks: inv.networks,
      bridges: inv.bridges,
      leases: inv.leases,
      leaseFiles,
      dnsmasq,
      knownDnsmasq: new Map(this.knownDnsmasq),
      lxcNetScript: this.deps.lxcNetScript,
      firewall,
      docker: { socket: this.deps.dockerSocket, socketExists },
      disks,
    };
  }

  private async disks(probe: <T>(what: string, f: () => Promise<T>) => Promise<T | null>): Promise<DiskFact[]> {
    const root = await probe('ask Docker for its data root', () => this.deps.dockerRoot());
    const wanted: [string, string][] = [
      ...(root ? [[root, 'Docker root'] as [string, string]] : []),
      ...this.deps.lxcPaths.map((p): [string, string] => [p, 'lxcpath']),
    ];
    const out = await Promise.all(wanted.map(([p, role]) => probe(`stat ${p}`, () => this.deps.probes.disk(p, role))));
    return out.filter((d) => d !== null);
  }
}

export function runChecks(facts: DoctorFacts, logger?: Logger): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  const seen = new Set<string>();
  for (const check of CHECKS) {
    try {
      for (const f of check(facts)) {
        if (seen.has(f.id)) continue;
        seen.add(f.id);
        out.push(f);
      }
    } catch (error) {
      logger?.warn('doctor: a check failed', { check: check.name, error });
    }
  }
  return out;
}

export function publicFinding(f: DoctorFinding): FindingRecord {
  const { repair: _repair, ...record } = f;
  return record;
}
