import type { HostFilter } from './scheduler.types.js';

// Only the hosts the request names, when it names any.
export const allowedHostsFilter: HostFilter = {
  name: 'hosts',
  appliesTo: (demand) => demand.hostIds !== null,
  rejects: (host, demand) => demand.hostIds !== null && !demand.hostIds.has(host.id),
  reason: () => 'not among the requested hosts',
};
