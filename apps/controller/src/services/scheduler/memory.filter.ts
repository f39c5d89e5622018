import { formatBytes } from './format.js';
import type { HostFilter, SchedulingHost } from './scheduler.types.js';

export const freeMemoryBytes = (host: SchedulingHost) => (host.memoryBytes ?? 0) - host.memoryUsedBytes;

export const memoryFilter: HostFilter = {
  name: 'memory',
  appliesTo: (demand) => demand.memoryBytes > 0,
  rejects: (host, demand) => freeMemoryBytes(host) < demand.memoryBytes,
  reason: (host, demand) =>
    `${formatBytes(Math.max(0, freeMemoryBytes(host)))} free < ${formatBytes(demand.memoryBytes)} requested`,
};
