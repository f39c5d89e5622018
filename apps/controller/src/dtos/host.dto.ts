import { HOST_STATUSES, HostFactsSchema, LoadReportSchema, RuntimeStatusSchema } from '@corral/protocol';
import { z } from 'zod';
import { isoDate } from './inventory.dto.js';
import { pageSchema } from './pagination.dto.js';

export const HostStatusSchema = z.enum(HOST_STATUSES);

const count = z.number().int().nonnegative();

export const HostCountsSchema = z.object({
  containers: count,
  images: count,
  volumes: count,
  networks: count,
  bridges: count,
  leases: count,
  findings: count.describe('doctor findings'),
  containersByState: z.record(z.string(), count).describe('the host containers by state (running, exited, ...)'),
});

export const HostSchema = z.object({
  id: z.guid().describe('Corral id of the host'),
  agentId: z.string().describe('stable id the agent keeps in its state dir'),
  hostname: z.string(),
  status: HostStatusSchema,
  stale: z.boolean().describe('the host is offline: its inventory is its last known state'),
  lastSeenAt: isoDate.nullable().describe('last message or heartbeat from the agent'),
  connectedAt: isoDate.nullable(),
  offlineAt: isoDate.nullable().describe('when the host was marked offline; null while online'),
  agentVersion: z.string().nullable(),
  protocolVersion: z.string().nullable(),
  facts: HostFactsSchema.nullable().describe('null until the first snapshot'),
  runtimes: z.array(RuntimeStatusSchema),
  load: LoadReportSchema.nullable().describe('latest heartbeat load report'),
  labels: z.record(z.string(), z.string()).describe('labels set through the API (PUT /hosts/{id}/labels)'),
  agentLabels: z.record(z.string(), z.string()).describe("labels from the agent's own config (CORRAL_LABELS)"),
  effectiveLabels: z
    .record(z.string(), z.string())
    .describe('agent labels overlaid with API labels: what placement constraints match'),
  cordoned: z.boolean().describe('a cordoned host is never chosen for placement'),
  cordonedAt: isoDate.nullable(),
  cordonReason: z.string().nullable(),
  counts: HostCountsSchema.describe('inventory rows the host holds'),
  createdAt: isoDate.describe('when the host first registered'),
});

export const HostPageSchema = pageSchema(HostSchema);

export type HostDto = z.infer<typeof HostSchema>;
export type HostCounts = z.infer<typeof HostCountsSchema>;
