import type { HostLabels } from '@corral/protocol';

// What placement constraints match: the agent's labels, overlaid with those set through the API.
export function effectiveLabels(host: { labels: unknown; agentLabels: unknown }): HostLabels {
  return { ...((host.agentLabels ?? {}) as HostLabels), ...((host.labels ?? {}) as HostLabels) };
}
