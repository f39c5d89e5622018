import { describe, expect, it } from 'vitest';
import { formatBytes, formatCpus } from './format.js';
import { schedule } from './schedule.js';
import { aDemand, aHost, GiB, MiB } from './scheduler.fixture.js';
import type { Demand, SchedulingHost, Strategy } from './scheduler.types.js';

// The score the scheduler gives a host, as its candidate in a decision over that host alone.
function score(host: SchedulingHost, demand: Demand, strategy: Strategy): number {
  return schedule([host], demand, { strategy, replicas: 1 }).decisions[0]!.candidates[0]!.score;
}

// Whether `a` comes before `b` among the candidates, both scoring the same.
function ranksBefore(a: SchedulingHost, b: SchedulingHost): boolean {
  const d = schedule([a, b], aDemand(), { strategy: 'spread', replicas: 1 }).decisions[0]!;
  return d.candidates[0]!.host.id === a.id;
}

describe('score', () => {
  const demand = aDemand({ memoryBytes: GiB });

  it('spread: the free memory fraction left after the replica', () => {
    expect(score(aHost({ memoryBytes: 4 * GiB }), demand, 'spread')).toBe(0.75);
    expect(score(aHost({ memoryBytes: 4 * GiB, memoryUsedBytes: 2 * GiB }), demand, 'spread')).toBe(0.25);
  });

  it('binpack: one minus that, so the fullest host that fits scores highest', () => {
    expect(score(aHost({ memoryBytes: 4 * GiB }), demand, 'binpack')).toBe(0.25);
    expect(score(aHost({ memoryBytes: 4 * GiB, memoryUsedBytes: 2 * GiB }), demand, 'binpack')).toBe(0.75);
  });

  it('compares fractions, not bytes: a half-empty small host beats a nearly full large one under spread', () => {
    const small = score(aHost({ memoryBytes: 2 * GiB }), aDemand(), 'spread');
    const large = score(aHost({ memoryBytes: 64 * GiB, memoryUsedBytes: 60 * GiB }), aDemand(), 'spread');
    expect(small).toBeGreaterThan(large);
  });

  it('scores a host with no known memory 0 rather than dividing by zero', () => {
    expect(score(aHost({ memoryBytes: 0 }), aDemand(), 'spread')).toBe(0);
  });
});

describe('ties', () => {
  it('fewer containers first, then hostname', () => {
    const a = aHost({ hostname: 'a', containers: 3 });
    const b = aHost({ hostname: 'b', containers: 1 });
    expect(ranksBefore(a, b)).toBe(false);
    expect(ranksBefore(b, a)).toBe(true);
    const c = aHost({ hostname: 'c', containers: 1 });
    expect(ranksBefore(b, c)).toBe(true);
    expect(ranksBefore(c, b)).toBe(false);
  });

  it('a higher score wins whatever the containers', () => {
    const a = aHost({ hostname: 'a', containers: 9 });
    const b = aHost({ hostname: 'b', containers: 0, memoryUsedBytes: GiB });
    expect(ranksBefore(a, b)).toBe(true);
  });
});

describe('formatBytes and formatCpus', () => {
  it('writes binary units with at most two decimals', () => {
    expect(formatBytes(GiB)).toBe('1 GiB');
    expect(formatBytes(1.5 * GiB)).toBe('1.5 GiB');
    expect(formatBytes(512 * MiB)).toBe('512 MiB');
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatCpus(1)).toBe('1 CPU');
    expect(formatCpus(0.333333)).toBe('0.33 CPUs');
  });
});
