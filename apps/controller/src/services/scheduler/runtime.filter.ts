import type { HostFilter } from './scheduler.types.js';

// The runtime must be one the agent reported available (hello and host facts).
export const runtimeFilter: HostFilter = {
  name: 'runtime',
  appliesTo: () => true,
  rejects: (host, demand) => host.runtimes[demand.runtime]?.available !== true,
  reason: (host, demand) => {
    const why = host.runtimes[demand.runtime]?.reason;
    return why ? `no ${demand.runtime} (${why})` : `no ${demand.runtime}`;
  },
};
