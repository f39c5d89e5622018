import type { HostFilter } from './scheduler.types.js';

// Capacity is unknown until the agent's first snapshot brings the host facts.
export const factsFilter: HostFilter = {
  name: 'facts',
  appliesTo: () => true,
  rejects: (host) => host.memoryBytes === null || host.cpus === null,
  reason: () => 'no host facts reported yet',
};
