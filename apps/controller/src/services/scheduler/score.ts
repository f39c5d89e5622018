import type { Demand, SchedulingHost, Strategy } from './scheduler.types.js';

// Free memory fraction the host would have left after this replica: spread wants the most,
// binpack the least (score 1 - fraction), so that higher is better under both.
export function score(host: SchedulingHost, demand: Demand, strategy: Strategy): number {
  const total = host.memoryBytes ?? 0;
  const freeAfter = total > 0 ? (total - host.memoryUsedBytes - demand.memoryBytes) / total : 0;
  return strategy === 'spread' ? freeAfter : 1 - freeAfter;
}

// True when `a` ranks before `b`: higher score, then fewer containers, then hostname.
export function ranksBefore(a: SchedulingHost, aScore: number, b: SchedulingHost, bScore: number): boolean {
  if (aScore !== bScore) return aScore > bScore;
  if (a.containers !== b.containers) return a.containers < b.containers;
  if (a.hostname !== b.hostname) return a.hostname < b.hostname;
  return a.id < b.id;
}
