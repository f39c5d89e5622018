import { allowedHostsFilter } from './allowed-hosts.filter.js';
import { antiAffinityFilter } from './anti-affinity.filter.js';
import { cordonFilter } from './cordon.filter.js';
import { cpuFilter } from './cpu.filter.js';
import { factsFilter } from './facts.filter.js';
import { FILTERS } from './filters.js';
import { type Candidate, HostIndex, type ReplicaDecision, type Reservation } from './host-index.js';
import { labelsFilter } from './labels.filter.js';
import { memoryFilter } from './memory.filter.js';
import { onlineFilter } from './online.filter.js';
import { runtimeFilter } from './runtime.filter.js';
import type { Demand, HostFilter, SchedulingHost, Strategy } from './scheduler.types.js';
import { ranksBefore, score } from './score.js';

export { FILTERS } from './filters.js';
export type { Candidate, IndexedCandidate, RejectedHost, ReplicaDecision, Reservation } from './host-index.js';
export { HostIndex, MAX_EXAMPLES, MAX_REASONS } from './host-index.js';

export interface ScheduleOptions {
  strategy: Strategy;
  replicas: number;
  // How many of the best candidates each decision keeps, for the explanation.
  candidates?: number;
}

// A full scan's decision: every host through the filters, with its verdict.
export interface ScanDecision {
  hosts: readonly SchedulingHost[];
  // Per host: 0 when it passed every filter, else 1 + the index in FILTERS of the one that rejected it.
  verdicts: Uint8Array;
  feasible: number;
  // Best first; the first is the choice. Empty when no host fits.
  candidates: Candidate[];
  chosen: Candidate | null;
}

export interface Schedule {
  decisions: ReplicaDecision[];
  placed: number;
}

// The host after one more replica of `demand` lands on it.
export function withReplica(host: SchedulingHost, demand: Demand): SchedulingHost {
  return {
    ...host,
    memoryUsedBytes: host.memoryUsedBytes + demand.memoryBytes,
    cpusUsed: host.cpusUsed + demand.cpus,
    containers: host.containers + 1,
    groupContainers: demand.group === null ? host.groupContainers : host.groupContainers + 1,
    placedHere: host.placedHere + 1,
  };
}

// Calls the filter with code `code` (1 + its index in FILTERS). One call site per filter keeps each
// monomorphic, so the engine inlines it; a loop calling `filter.rejects` for all of them runs 2-3x slower.
function rejectsBy(code: number, host: SchedulingHost, demand: Demand): boolean {
  switch (code) {
    case 1:
      return allowedHostsFilter.rejects(host, demand);
    case 2:
      return onlineFilter.rejects(host, demand);
    case 3:
      return cordonFilter.rejects(host, demand);
    case 4:
      return runtimeFilter.rejects(host, demand);
    case 5:
      return factsFilter.rejects(host, demand);
    case 6:
      return labelsFilter.rejects(host, demand);
    case 7:
      return antiAffinityFilter.rejects(host, demand);
    case 8:
      return memoryFilter.rejects(host, demand);
    case 9:
      return cpuFilter.rejects(host, demand);
  }
  return false;
}

// One decision by full scan: every host through the filters that apply, the survivors scored, the best
// kept. The reference HostIndex.decide agrees with; `schedule` uses the index.
export function decide(hosts: readonly SchedulingHost[], demand: Demand, strategy: Strategy, keep = 5): ScanDecision {
  const codes: number[] = [];
  FILTERS.forEach((filter, i) => {
    if (filter.appliesTo(demand)) codes.push(i + 1);
  });
  const active = codes.length;
  const verdicts = new Uint8Array(hosts.length);
  const best: Candidate[] = [];
  // Score of the last kept candidate once `keep` are kept: most hosts lose to it on one comparison.
  let bar = Number.NEGATIVE_INFINITY;
  let feasible = 0;
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i]!;
    let code = 0;
    for (let f = 0; f < active; f++) {
      if (rejectsBy(codes[f]!, host, demand)) {
        code = codes[f]!;
        break;
      }
    }
    if (code !== 0) {
      verdicts[i] = code;
      continue;
    }
    feasible++;
    const s = score(host, demand, strategy);
    if (s < bar) continue;
    if (best.length === keep && !ranksBefore(host, s, best[keep - 1]!.host, bar)) continue;
    let at = best.length;
    while (at > 0 && ranksBefore(host, s, best[at - 1]!.host, best[at - 1]!.score)) at--;
    best.splice(at, 0, { host, score: s });
    if (best.length > keep) best.pop();
    if (best.length === keep) bar = best[keep - 1]!.score;
  }
  return { hosts, verdicts, feasible, candidates: best, chosen: best[0] ?? null };
}

// Places `replicas` copies one after another, each seeing the ones before it. Stops at the first
// replica that fits nowhere: placing only adds use, so no later replica could fit either. Given an index,
// it decides on it and leaves it as it found it; given hosts, it builds one for this request.
export function schedule(
  source: readonly SchedulingHost[] | HostIndex,
  demand: Demand,
  options: ScheduleOptions,
): Schedule {
  const index = source instanceof HostIndex ? source : new HostIndex(source, demand.group);
  const keep = options.candidates ?? 5;
  const decisions: ReplicaDecision[] = [];
  const placedHere = new Map<number, number>();
  const reservations: Reservation[] = [];
  try {
    for (let r = 1; r <= options.replicas; r++) {
      const decision = index.decide(demand, options.strategy, keep, placedHere, r);
      decisions.push(decision);
      if (!decision.chosen) break;
      if (r < options.replicas) {
        const at = decision.chosen.index;
        reservations.push(index.reserve(at, demand));
        placedHere.set(at, (placedHere.get(at) ?? 0) + 1);
      }
    }
  } finally {
    for (let k = reservations.length - 1; k >= 0; k--) index.restore(reservations[k]!);
  }
  return { decisions, placed: decisions.filter((d) => d.chosen).length };
}

// The reason `decision` turned the host at `index` down, or null when it fit.
export function rejectionReason(decision: ScanDecision, index: number, demand: Demand): string | null {
  const code = decision.verdicts[index] ?? 0;
  if (code === 0) return null;
  return FILTERS[code - 1]!.reason(decision.hosts[index]!, demand);
}

export function rejectingFilter(decision: ScanDecision, index: number): HostFilter | null {
  const code = decision.verdicts[index] ?? 0;
  return code === 0 ? null : FILTERS[code - 1]!;
}
