import { describe, expect, it } from 'vitest';
import { formatBytes, formatCpus } from './format.js';
import { aDemand, aHost, GiB, MiB } from './scheduler.fixtures.js';
import { ranksBefore, score } from './score.js';

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
    expect(score(aHost({ memoryBytes: 0 }), demand, 'spread')).toBe(0);
  });
});

describe('ranksBefore', () => {
  it('higher score first, then fewer containers, then hostname', () => {
    const a = aHost({ hostname: 'a', containers: 3 });
    const b = aHost({ hostname: 'b', containers: 1 });
    expect(ranksBefore(a, 0.6, b, 0.5)).toBe(true);
    expect(ranksBefore(a, 0.5, b, 0.5)).toBe(false);
    expect(ranksBefore(b, 0.5, a, 0.5)).toBe(true);
    const c = aHost({ hostname: 'c', containers: 1 });
    expect(ranksBefore(b, 0.5, c, 0.5)).toBe(true);
    expect(ranksBefore(c, 0.5, b, 0.5)).toBe(false);
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
