import { allowedHostsFilter } from './allowed-hosts.filter.js';
import { antiAffinityFilter } from './anti-affinity.filter.js';
import { cordonFilter } from './cordon.filter.js';
import { cpuFilter } from './cpu.filter.js';
import { factsFilter } from './facts.filter.js';
import { labelsFilter } from './labels.filter.js';
import { memoryFilter } from './memory.filter.js';
import { onlineFilter } from './online.filter.js';
import { runtimeFilter } from './runtime.filter.js';
import type { Demand, HostFilter, SchedulingHost, Strategy } from './scheduler.types.js';
import { ranksBefore, score } from './score.js';

// In the order they are tried; a host's reason is that of the first filter rejecting it.
export const FILTERS: readonly HostFilter[] = [
  allowedHostsFilter,
  onlineFilter,
  cordonFilter,
  runtimeFilter,
  factsFilter,
  labelsFilter,
  antiAffinityFilter,
  memoryFilter,
  cpuFilter,
];

export interface ScheduleOptions {
  strategy: Strategy;
  replicas: number;
  // How many of the best candidates each decision keeps, for the explanation.
  candidates?: number;
}

export interface Candidate {
  host: SchedulingHost;
  score: number;
}

export interface ReplicaDecision {
  // 1-based.
  replica: number;
  // The hosts as this replica saw them (earlier replicas of the request included).
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

// One decision: every host through the filters that apply, the survivors scored, the best kept.
export function decide(
  hosts: readonly SchedulingHost[],
  demand: Demand,
  strategy: Strategy,
  keep = 5,
): Omit<ReplicaDecision, 'replica'> {
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
// replica that fits nowhere: placing only adds use, so no later replica could fit either.
export function schedule(hosts: readonly SchedulingHost[], demand: Demand, options: ScheduleOptions): Schedule {
  const decisions: ReplicaDecision[] = [];
  let current = hosts;
  for (let r = 1; r <= options.replicas; r++) {
    const decision = { replica: r, ...decide(current, demand, options.strategy, options.candidates) };
    decisions.push(decision);
    if (!decision.chosen) break;
    if (r < options.replicas) {
      const index = current.indexOf(decision.chosen.host);
      const next = current.slice();
      next[index] = withReplica(decision.chosen.host, demand);
      current = next;
    }
  }
  return { decisions, placed: decisions.filter((d) => d.chosen).length };
}

// The reason `decision` turned the host at `index` down, or null when it fit.
export function rejectionReason(decision: ReplicaDecision, index: number, demand: Demand): string | null {
  const code = decision.verdicts[index] ?? 0;
  if (code === 0) return null;
  return FILTERS[code - 1]!.reason(decision.hosts[index]!, demand);
}

export function rejectingFilter(decision: ReplicaDecision, index: number): HostFilter | null {
  const code = decision.verdicts[index] ?? 0;
  return code === 0 ? null : FILTERS[code - 1]!;
}
