import { aDemand, aHost, GiB, MiB } from '../../../apps/controller/src/services/scheduler/scheduler.fixture.js';
import type {
  Constraint,
  Demand,
  SchedulingHost,
} from '../../../apps/controller/src/services/scheduler/scheduler.types.js';

// Seeded random fleets and requests for the scheduler's property tests.

// mulberry32: the same cases on every run.
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
export const chance = (random: Random, p: number) => random() < p;

// Few sizes and coarse use so scores tie often; some sizes jittered so bands hold different sizes;
// hosts without facts, with 0 memory, overcommitted, offline, cordoned, without lxc, duplicate hostnames.
export function randomFleet(random: Random, n: number): SchedulingHost[] {
  return Array.from({ length: n }, (_, i) => {
    const base = pick(random, [2, 4, 8, 16, 64]) * GiB;
    const memoryBytes = chance(random, 0.03)
      ? null
      : chance(random, 0.02)
        ? 0
        : chance(random, 0.4)
          ? base + Math.floor(random() * 0.3 * base)
          : base;
    const lxc = chance(random, 0.8);
    const labels: Record<string, string> = {};
    if (chance(random, 0.9)) labels.zone = pick(random, ['eu', 'us', 'ap']);
    if (chance(random, 0.6)) labels.disk = pick(random, ['ssd', 'hdd', '']);
    return aHost({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      hostname: `h${String(Math.floor(random() * n * 0.9)).padStart(4, '0')}`,
      online: chance(random, 0.93),
      cordoned: chance(random, 0.05),
      cordonReason: chance(random, 0.5) ? 'maintenance' : null,
      runtimes: {
        docker: { available: chance(random, 0.97), reason: null },
        ...(chance(random, 0.9) ? { lxc: { available: lxc, reason: lxc ? null : 'lxc-ls not found' } } : {}),
      },
      labels,
      memoryBytes,
      cpus: chance(random, 0.02) ? null : pick(random, [1, 2, 4, 8]),
      memoryUsedBytes: Math.floor(random() * 20) * 256 * MiB,
      cpusUsed: pick(random, [0, 0.1, 0.25, 0.5, 1, 2.3, 3.7, 8]),
      containers: Math.floor(random() * 4),
      groupContainers: chance(random, 0.1) ? 1 : 0,
    });
  });
}

export function randomConstraint(random: Random): Constraint {
  const label = pick(random, ['zone', 'disk', 'rack']);
  const value = pick(random, ['eu', 'us', 'ssd', 'hdd', '', 'nope']);
  switch (pick(random, ['=', '!=', 'in', 'not in', 'exists'] as const)) {
    case '=':
      return { label, op: '=', value };
    case '!=':
      return { label, op: '!=', value };
    case 'in':
      return { label, op: 'in', values: [value, pick(random, ['eu', 'ssd', 'ap'])] };
    case 'not in':
      return { label, op: 'not in', values: [value] };
    case 'exists':
      return { label, op: 'exists' };
  }
}

export function randomDemand(random: Random, hosts: readonly SchedulingHost[]): Demand {
  return aDemand({
    runtime: chance(random, 0.7) ? 'docker' : 'lxc',
    memoryBytes: chance(random, 0.2) ? 0 : pick(random, [256 * MiB, 512 * MiB, GiB, 3 * GiB, 1_000_000_007]),
    cpus: chance(random, 0.5) ? 0 : pick(random, [0.1, 0.2, 0.5, 1, 2]),
    constraints: chance(random, 0.6)
      ? []
      : Array.from({ length: 1 + Math.floor(random() * 2) }, () => randomConstraint(random)),
    hostIds: chance(random, 0.1) ? new Set(hosts.filter(() => chance(random, 0.3)).map((h) => h.id)) : null,
    group: chance(random, 0.3) ? 'g' : null,
  });
}
