import { HostIndex, type ReplicaDecision, type Reservation } from './host-index.js';
import type { Demand, SchedulingHost, Strategy } from './scheduler.types.js';

export { FILTERS } from './filters.js';
export type { Candidate, IndexedCandidate, RejectedHost, ReplicaDecision, Reservation } from './host-index.js';
export { HostIndex, MAX_EXAMPLES, MAX_REASONS } from './host-index.js';

export interface ScheduleOptions {
  strategy: Strategy;
  replicas: number;
  // How many of the best candidates each decision keeps, for the explanation.
  candidates?: number;
}

export interface Schedule {
  decisions: ReplicaDecision[];
  placed: number;
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
