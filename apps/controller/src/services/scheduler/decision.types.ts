import type { SchedulingHost } from './scheduler.types.js';

// Rejected hosts named per filter in a decision, and "<hostname>: <reason>" lines kept when nothing fits.
export const MAX_EXAMPLES = 3;
export const MAX_REASONS = 1000;

export interface Candidate {
  host: SchedulingHost;
  score: number;
}

// A host that fits, as the replica saw it; `index` is its position in the index.
export interface IndexedCandidate extends Candidate {
  index: number;
}

// A host a filter turned down, as the replica saw it.
export interface RejectedHost {
  host: SchedulingHost;
  // 1 + the index in FILTERS of the filter that rejected it.
  code: number;
  reason: string;
}

export interface ReplicaDecision {
  // 1-based.
  replica: number;
  // Hosts within the request's `hosts` (every host when it names none).
  inScope: number;
  // Hosts in scope whose verdict was worked out. The others were skipped: they rank below the
  // candidates kept, or surely lack the free memory (binpack) or CPU asked, so they cannot change the decision.
  evaluated: number;
  feasible: number;
  // Per filter code (1 + index in FILTERS): the evaluated hosts it turned down. Hosts outside `hosts` count under 1.
  rejected: Int32Array;
  // Up to MAX_EXAMPLES per filter, never a host outside `hosts`.
  examples: RejectedHost[];
  // Best first; the first is the choice. Empty when no host fits.
  candidates: IndexedCandidate[];
  chosen: IndexedCandidate | null;
  // When no host fits: "<hostname>: <reason>" for every host in scope, in host order, the first MAX_REASONS.
  reasons: string[];
}

// What `reserve` changed, for `restore`.
export interface Reservation {
  index: number;
  memoryUsedBytes: number;
  cpusUsed: number;
  containers: number;
  group: string | null;
  groupContainers: number;
}
