import { formatCpus } from './format.js';
import type { HostFilter, SchedulingHost } from './scheduler.types.js';

export const freeCpus = (host: SchedulingHost) => (host.cpus ?? 0) - host.cpusUsed;

// CPU limits are fractions of cores; a tiny epsilon keeps 0.1 + 0.2 from failing against 0.3.
export const cpuFilter: HostFilter = {
  name: 'cpu',
  appliesTo: (demand) => demand.cpus > 0,
  rejects: (host, demand) => freeCpus(host) + 1e-9 < demand.cpus,
  reason: (host, demand) => {
    const free = Math.max(0, freeCpus(host));
    return `${formatCpus(free)} free < ${formatCpus(demand.cpus).replace(/ CPUs?$/, '')} requested`;
  },
};
