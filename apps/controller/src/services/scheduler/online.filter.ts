import type { HostFilter } from './scheduler.types.js';

// A host past its offline grace would hold the command until it returns; place elsewhere.
export const onlineFilter: HostFilter = {
  name: 'online',
  appliesTo: () => true,
  rejects: (host) => !host.online,
  reason: () => 'offline',
};
