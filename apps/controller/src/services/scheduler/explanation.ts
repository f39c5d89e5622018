import type { PlacementExplanation } from '../../dtos/placement.dto.js';
import { allowedHostsFilter } from './allowed-hosts.filter.js';
import { freeCpus } from './cpu.filter.js';
import { freeMemoryBytes } from './memory.filter.js';
import { FILTERS, type ReplicaDecision, rejectingFilter, rejectionReason, type Schedule } from './schedule.js';
import type { Demand, Strategy } from './scheduler.types.js';
import { score } from './score.js';

export const MAX_LISTED_HOSTS = 200;
export const MAX_REASONS = 1000;

export type PlacementOutcome = 'placed' | 'partial' | 'rejected' | 'dry_run';

export interface ExplainInput {
  schedule: Schedule;
  demand: Demand;
  strategy: Strategy;
  replicas: number;
  // Container name per replica (null: the engine picks one).
  names: (string | null)[];
  outcome: PlacementOutcome;
  // Replicas that are (or for a dry run would be) created.
  placed: number;
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

function listedHost(
  decision: ReplicaDecision,
  index: number,
  demand: Demand,
  strategy: Strategy,
): PlacementExplanation['hosts'][number] {
  const host = decision.hosts[index]!;
  const filter = rejectingFilter(decision, index);
  return {
    hostId: host.id,
    hostname: host.hostname,
    verdict: filter ? 'rejected' : 'fits',
    filter: filter?.name ?? null,
    reason: rejectionReason(decision, index, demand),
    score: filter ? null : round(score(host, demand, strategy)),
    memory: {
      allocatableBytes: host.memoryBytes,
      usedBytes: host.memoryUsedBytes,
      freeBytes: host.memoryBytes === null ? null : freeMemoryBytes(host),
    },
    cpus: {
      allocatable: host.cpus,
      used: round(host.cpusUsed),
      free: host.cpus === null ? null : round(freeCpus(host)),
    },
    containers: host.containers,
    groupContainers: host.groupContainers,
  };
}

function decisionOf(decision: ReplicaDecision, name: string | null): PlacementExplanation['decisions'][number] {
  const rejected: Record<string, number> = {};
  for (let i = 0; i < decision.verdicts.length; i++) {
    const code = decision.verdicts[i]!;
    if (code === 0) continue;
    const filter = FILTERS[code - 1]!.name;
    rejected[filter] = (rejected[filter] ?? 0) + 1;
  }
  return {
    replica: decision.replica,
    name,
    hostId: decision.chosen?.host.id ?? null,
    hostname: decision.chosen?.host.hostname ?? null,
    score: decision.chosen ? round(decision.chosen.score) : null,
    feasibleHosts: decision.feasible,
    rejectedHosts: rejected,
    candidates: decision.candidates.map((c) => ({
      hostId: c.host.id,
      hostname: c.host.hostname,
      score: round(c.score),
      freeMemoryBytes: freeMemoryBytes(c.host),
      containers: c.host.containers,
    })),
  };
}

// Hosts outside the request's `hosts` are counted, never listed one by one.
const inScope = (decision: ReplicaDecision, index: number) => rejectingFilter(decision, index) !== allowedHostsFilter;

// "h2: 512 MiB free < 1 GiB requested", one per host in scope, for a replica that fits nowhere.
export function reasonsFor(decision: ReplicaDecision, demand: Demand, max = MAX_REASONS): string[] {
  const reasons: string[] = [];
  for (let i = 0; i < decision.hosts.length && reasons.length < max; i++) {
    if (!inScope(decision, i)) continue;
    const reason = rejectionReason(decision, i, demand);
    if (reason) reasons.push(`${decision.hosts[i]!.hostname}: ${reason}`);
  }
  return reasons;
}

function scopeSize(decision: ReplicaDecision): number {
  let n = 0;
  for (let i = 0; i < decision.hosts.length; i++) if (inScope(decision, i)) n++;
  return n;
}

function summaryOf(input: ExplainInput, decisions: PlacementExplanation['decisions']): string {
  const { outcome, replicas, placed } = input;
  const verb = outcome === 'dry_run' ? 'would place' : 'placed';
  const count = placed === 0 ? 'none' : String(placed);
  const where = decisions
    .slice(0, placed)
    .map((d) => `${d.name ?? `replica ${d.replica}`} on ${d.hostname} (score ${d.score})`)
    .join(', ');
  const failed = input.schedule.decisions.find((d) => !d.chosen);
  const parts = [`${verb} ${count} of ${replicas}${where ? `: ${where}` : ''}`];
  if (failed) {
    parts.push(`replica ${failed.replica} fits no host (${scopeSize(failed)} considered)`);
    if (placed === 0 && failed.replica > 1) parts.push('all or nothing: none placed');
  }
  return parts.join('; ');
}

export function explain(input: ExplainInput): PlacementExplanation {
  const { schedule, demand } = input;
  const first = schedule.decisions[0]!;
  const hosts: PlacementExplanation['hosts'] = [];
  for (let i = 0; i < first.hosts.length && hosts.length < MAX_LISTED_HOSTS; i++) {
    if (inScope(first, i)) hosts.push(listedHost(first, i, demand, input.strategy));
  }
  const decisions = schedule.decisions.map((d) => decisionOf(d, input.names[d.replica - 1] ?? null));
  const failed = schedule.decisions.find((d) => !d.chosen);
  const reasons = failed ? reasonsFor(failed, demand) : [];
  const rejectedCount = failed ? scopeSize(failed) - failed.feasible : 0;
  return {
    summary: summaryOf(input, decisions),
    strategy: input.strategy,
    replicas: { requested: input.replicas, placed: input.placed },
    demand: { runtime: demand.runtime, memoryBytes: demand.memoryBytes, cpus: demand.cpus, group: demand.group },
    decisions,
    hosts,
    hostsOmitted: scopeSize(first) - hosts.length,
    reasons,
    reasonsOmitted: rejectedCount - reasons.length,
  };
}
