import type { PlacementExplanation } from '../../dtos/placement.dto.js';
import { freeCpus } from './cpu.filter.js';
import { FILTERS, HOSTS } from './filters.js';
import { type IndexedCandidate, MAX_REASONS, type ReplicaDecision } from './host-index.js';
import { freeMemoryBytes } from './memory.filter.js';
import type { Schedule } from './schedule.js';
import type { Demand, SchedulingHost, Strategy } from './scheduler.types.js';

export { MAX_REASONS } from './host-index.js';

// The first replica's candidates and rejected examples listed with their capacities, at most this many.
export const MAX_LISTED_HOSTS = 32;

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
  host: SchedulingHost,
  verdict: { score: number } | { code: number; reason: string },
): PlacementExplanation['hosts'][number] {
  const fits = 'score' in verdict;
  return {
    hostId: host.id,
    hostname: host.hostname,
    verdict: fits ? 'fits' : 'rejected',
    filter: fits ? null : FILTERS[verdict.code - 1]!.name,
    reason: fits ? null : verdict.reason,
    score: fits ? round(verdict.score) : null,
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

function candidateOf(c: IndexedCandidate): PlacementExplanation['decisions'][number]['candidates'][number] {
  return {
    hostId: c.host.id,
    hostname: c.host.hostname,
    score: round(c.score),
    freeMemoryBytes: freeMemoryBytes(c.host),
    containers: c.host.containers,
  };
}

function decisionOf(decision: ReplicaDecision, name: string | null): PlacementExplanation['decisions'][number] {
  const rejected: Record<string, number> = {};
  for (let code = 1; code < decision.rejected.length; code++) {
    const n = decision.rejected[code]!;
    if (n > 0) rejected[FILTERS[code - 1]!.name] = n;
  }
  const examples: Record<string, string[]> = {};
  for (const e of decision.examples) {
    const filter = FILTERS[e.code - 1]!.name;
    const line = `${e.host.hostname}: ${e.reason}`;
    const list = examples[filter];
    if (list) list.push(line);
    else examples[filter] = [line];
  }
  return {
    replica: decision.replica,
    name,
    hostId: decision.chosen?.host.id ?? null,
    hostname: decision.chosen?.host.hostname ?? null,
    score: decision.chosen ? round(decision.chosen.score) : null,
    evaluatedHosts: decision.evaluated,
    skippedHosts: decision.inScope - decision.evaluated,
    feasibleHosts: decision.feasible,
    rejectedHosts: rejected,
    rejectedExamples: examples,
    candidates: decision.candidates.map(candidateOf),
  };
}

// "h2: 512 MiB free < 1 GiB requested", one per host in scope (hosts outside `hosts` are counted, never
// listed), for a replica that fits nowhere.
export function reasonsFor(decision: ReplicaDecision, max = MAX_REASONS): string[] {
  return decision.reasons.length > max ? decision.reasons.slice(0, max) : decision.reasons;
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
    parts.push(`replica ${failed.replica} fits no host (${failed.inScope} considered)`);
    if (placed === 0 && failed.replica > 1) parts.push('all or nothing: none placed');
  }
  return parts.join('; ');
}

// The first replica's candidates (best first), then the hosts it names as turned down, by filter.
function listedHosts(first: ReplicaDecision): PlacementExplanation['hosts'] {
  const hosts: PlacementExplanation['hosts'] = [];
  for (const c of first.candidates) {
    if (hosts.length === MAX_LISTED_HOSTS) return hosts;
    hosts.push(listedHost(c.host, c));
  }
  for (const e of first.examples) {
    if (hosts.length === MAX_LISTED_HOSTS) return hosts;
    if (e.code !== HOSTS) hosts.push(listedHost(e.host, e));
  }
  return hosts;
}

export function explain(input: ExplainInput): PlacementExplanation {
  const { schedule, demand } = input;
  const first = schedule.decisions[0]!;
  const hosts = listedHosts(first);
  const decisions = schedule.decisions.map((d) => decisionOf(d, input.names[d.replica - 1] ?? null));
  const failed = schedule.decisions.find((d) => !d.chosen);
  const reasons = failed ? reasonsFor(failed) : [];
  return {
    summary: summaryOf(input, decisions),
    strategy: input.strategy,
    replicas: { requested: input.replicas, placed: input.placed },
    demand: { runtime: demand.runtime, memoryBytes: demand.memoryBytes, cpus: demand.cpus, group: demand.group },
    decisions,
    hosts,
    hostsOmitted: first.inScope - hosts.length,
    reasons,
    reasonsOmitted: failed ? failed.inScope - failed.feasible - reasons.length : 0,
  };
}
