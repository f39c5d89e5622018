import type { Demand, SchedulingHost } from './scheduler.types.js';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

// A healthy online host with docker and lxc, 4 GiB and 4 CPUs, nothing on it; tests override what matters.
export function aHost(overrides: Partial<SchedulingHost> = {}): SchedulingHost {
  const hostname = overrides.hostname ?? 'h1';
  return {
    id: `00000000-0000-4000-8000-${hostname.padStart(12, '0').slice(-12)}`,
    hostname,
    online: true,
    cordoned: false,
    cordonReason: null,
    runtimes: { docker: { available: true, reason: null }, lxc: { available: true, reason: null } },
    labels: {},
    memoryBytes: 4 * GiB,
    cpus: 4,
    memoryUsedBytes: 0,
    cpusUsed: 0,
    containers: 0,
    groupContainers: 0,
    placedHere: 0,
    ...overrides,
  };
}

export function aDemand(overrides: Partial<Demand> = {}): Demand {
  return {
    runtime: 'docker',
    memoryBytes: 0,
    cpus: 0,
    constraints: [],
    hostIds: null,
    group: null,
    ...overrides,
  };
}
