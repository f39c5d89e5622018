import type { RuntimeName } from '@corral/protocol';

export type Strategy = 'spread' | 'binpack';

export type Constraint =
  | { label: string; op: '=' | '!='; value: string }
  | { label: string; op: 'in' | 'not in'; values: string[] }
  | { label: string; op: 'exists' };

export interface RuntimeAvailability {
  available: boolean;
  reason: string | null;
}

// One host as the scheduler sees it at the moment of a decision.
export interface SchedulingHost {
  id: string;
  hostname: string;
  online: boolean;
  cordoned: boolean;
  cordonReason: string | null;
  runtimes: Partial<Record<RuntimeName, RuntimeAvailability>>;
  // Effective labels: the agent's, overlaid with those set through the API.
  labels: Readonly<Record<string, string>>;
  // Allocatable memory and CPUs (facts.memoryTotalBytes, facts.cpuCount); null until facts arrive.
  memoryBytes: number | null;
  cpus: number | null;
  // Sum of the limits of the containers counted on the host (see docs/architecture.md, Scheduling).
  memoryUsedBytes: number;
  cpusUsed: number;
  containers: number;
  // Containers of the requested group on the host, this request's own replicas included.
  groupContainers: number;
  // Replicas of this request placed on the host so far.
  placedHere: number;
  // Why the host's create policy refuses this request; such a host is also marked cordoned.
  policyRefusal?: string;
}

// What one replica needs.
export interface Demand {
  runtime: RuntimeName;
  // 0: no limit asked, which counts as nothing.
  memoryBytes: number;
  cpus: number;
  constraints: readonly Constraint[];
  // Allowed host ids; null: any host.
  hostIds: ReadonlySet<string> | null;
  group: string | null;
}

export type FilterName =
  | 'hosts'
  | 'online'
  | 'cordon'
  | 'runtime'
  | 'facts'
  | 'labels'
  | 'anti-affinity'
  | 'memory'
  | 'cpu';

// A yes/no test of one host; `reason` is only rendered for hosts it rejects.
export interface HostFilter {
  name: FilterName;
  // False when the demand gives the filter nothing to check, so the scheduler skips it.
  appliesTo(demand: Demand): boolean;
  rejects(host: SchedulingHost, demand: Demand): boolean;
  reason(host: SchedulingHost, demand: Demand): string;
}
