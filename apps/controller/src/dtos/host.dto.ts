import { HOST_STATUSES, HostFactsSchema, LoadReportSchema, RuntimeStatusSchema } from '@corral/protocol';
import { z } from 'zod';
import { isoDate } from './inventory.dto.js';
import { pageSchema } from './pagination.dto.js';

export const HostStatusSchema = z.enum(HOST_STATUSES);

const count = z.number().int().nonnegative();

export const HostCountsSchema = z.object({
  containers: count.describe('Docker and LXC containers on the host'),
  images: count.describe('Docker images on the host'),
  volumes: count.describe('Docker volumes on the host'),
  networks: count.describe('Docker networks on the host'),
  bridges: count.describe('Linux bridges on the host'),
  leases: count.describe('DHCP leases read from the host lease files'),
  findings: count.describe('doctor findings on the host (GET /hosts/{id}/doctor lists them)'),
  containersByState: z.record(z.string(), count).describe('the host containers by state (running, exited, ...)'),
});

export const HostSchema = z.object({
  id: z.guid().describe('Corral id of the host'),
  agentId: z.string().describe('stable id the agent keeps in its state dir'),
  hostname: z.string().describe('name of the host, unique in the fleet; routes accept it in place of the id'),
  status: HostStatusSchema.describe(
    'online while its agent is connected; offline once it has had no connection for the grace period (CORRAL_OFFLINE_GRACE_MS)',
  ),
  stale: z.boolean().describe('the host is offline: its inventory is its last known state'),
  lastSeenAt: isoDate.nullable().describe('last message or heartbeat from the agent'),
  connectedAt: isoDate.nullable().describe('when the agent connected this time; null when it never has'),
  offlineAt: isoDate.nullable().describe('when the host was marked offline; null while online'),
  agentVersion: z.string().nullable().describe('version of the Corral agent, from its hello; null before the first'),
  protocolVersion: z
    .string()
    .nullable()
    .describe('agent protocol version it speaks, e.g. "1.1"; null before the first hello'),
  facts: HostFactsSchema.nullable().describe('null until the first snapshot'),
  runtimes: z.array(RuntimeStatusSchema).describe('Docker and LXC on this host: available or why not, and versions'),
  load: LoadReportSchema.nullable().describe('latest heartbeat load report'),
  labels: z.record(z.string(), z.string()).describe('labels set through the API (PUT /hosts/{id}/labels)'),
  agentLabels: z.record(z.string(), z.string()).describe("labels from the agent's own config (CORRAL_LABELS)"),
  effectiveLabels: z
    .record(z.string(), z.string())
    .describe('agent labels overlaid with API labels: what placement constraints match'),
  cordoned: z.boolean().describe('a cordoned host is never chosen for placement'),
  cordonedAt: isoDate.nullable().describe('when it was cordoned; null when it is not'),
  cordonReason: z.string().nullable().describe('reason given with the cordon (at most 200 characters); null when none'),
  counts: HostCountsSchema.describe('inventory rows the host holds'),
  createdAt: isoDate.describe('when the host first registered'),
});

export const HostPageSchema = pageSchema(HostSchema);

export type HostDto = z.infer<typeof HostSchema>;
export type HostCounts = z.infer<typeof HostCountsSchema>;
