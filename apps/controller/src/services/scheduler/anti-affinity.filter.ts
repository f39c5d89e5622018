import type { HostFilter } from './scheduler.types.js';

// No two containers of one placement group on a host.
export const antiAffinityFilter: HostFilter = {
  name: 'anti-affinity',
  appliesTo: (demand) => demand.group !== null,
  rejects: (host) => host.groupContainers > 0,
  reason: (host, demand) =>
    host.groupContainers > host.placedHere
      ? `already runs a container of group ${demand.group}`
      : `already gets a container of group ${demand.group} from this placement`,
};
