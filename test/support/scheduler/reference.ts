import { allowedHostsFilter } from '../../../apps/controller/src/services/scheduler/allowed-hosts.filter.js';
import { antiAffinityFilter } from '../../../apps/controller/src/services/scheduler/anti-affinity.filter.js';
import { cordonFilter } from '../../../apps/controller/src/services/scheduler/cordon.filter.js';
import { cpuFilter } from '../../../apps/controller/src/services/scheduler/cpu.filter.js';
import { factsFilter } from '../../../apps/controller/src/services/scheduler/facts.filter.js';
import { FILTERS } from '../../../apps/controller/src/services/scheduler/filters.js';
import { labelsFilter } from '../../../apps/controller/src/services/scheduler/labels.filter.js';
import { memoryFilter } from '../../../apps/controller/src/services/scheduler/memory.filter.js';
import { onlineFilter } from '../../../apps/controller/src/services/scheduler/online.filter.js';
import { runtimeFilter } from '../../../apps/controller/src/services/scheduler/runtime.filter.js';
import type {
  Demand,
  SchedulingHost,
  Strategy,
} from '../../../apps/controller/src/services/scheduler/scheduler.types.js';

// The scheduler as a plain full scan: every host through every filter, scored one by one. The
// production path (HostIndex, LiveIndex) must agree with it; property tests compare the two.

export interface Candidate {
  host: SchedulingHost;
  score: number;
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

// Free memory fraction the host would have left after this replica: spread wants the most,
// binpack the least (score 1 - fraction), so that higher is better under both.
export function score(host: SchedulingHost, demand: Demand, strategy: Strategy): number {
  const total = host.memoryBytes ?? 0;
  const freeAfter = total > 0 ? (total - host.memoryUsedBytes - demand.memoryBytes) / total : 0;
  return strategy === 'spread' ? freeAfter : 1 - freeAfter;
}

// True when `a` ranks before `b`: higher score, then fewer containers, then hostname, then id.
export function ranksBefore(a: SchedulingHost, aScore: number, b: SchedulingHost, bScore: number): boolean {
  if (aScore !== bScore) return aScore > bScore;
  if (a.containers !== b.containers) return a.containers < b.containers;
  if (a.hostname !== b.hostname) return a.hostname < b.hostname;
  return a.id < b.id;
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

// One call site per filter keeps each monomorphic (a loop over `filter.rejects` runs 2-3x slower).
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

// One decision by full scan: every host through the filters that apply, the survivors scored, the best kept.
export function decide(hosts: readonly SchedulingHost[], demand: Demand, strategy: Strategy, keep = 5): ScanDecision {
  const codes: number[] = [];
  FILTERS.forEach((filter, i) => {
    if (filter.appliesTo(demand)) codes.push(i + 1);
  });
  const verdicts = new Uint8Array(hosts.length);
  const best: Candidate[] = [];
  // Score of the last kept candidate once `keep` are kept: most hosts lose to it on one comparison.
  let bar = Number.NEGATIVE_INFINITY;
  let feasible = 0;
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i]!;
    const code = codes.find((c) => rejectsBy(c, host, demand)) ?? 0;
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

// The replica loop by full scan: each replica sees the ones before it.
export function referenceSchedule(
  hosts: readonly SchedulingHost[],
  demand: Demand,
  strategy: Strategy,
  replicas: number,
  keep = 5,
): ScanDecision[] {
  const decisions: ScanDecision[] = [];
  let current = hosts;
  for (let r = 1; r <= replicas; r++) {
    const d = decide(current, demand, strategy, keep);
    decisions.push(d);
    if (!d.chosen) break;
    const at = current.indexOf(d.chosen.host);
    const next = current.slice();
    next[at] = withReplica(d.chosen.host, demand);
    current = next;
  }
  return decisions;
}

// The reason `decision` turned the host at `index` down, or null when it fit.
export function rejectionReason(decision: ScanDecision, index: number, demand: Demand): string | null {
  const code = decision.verdicts[index] ?? 0;
  if (code === 0) return null;
  return FILTERS[code - 1]!.reason(decision.hosts[index]!, demand);
}
