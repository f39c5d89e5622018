import { FindingSeveritySchema } from '@corral/protocol';
import { z } from 'zod';
import { FindingSchema, isoDate } from './inventory.dto.js';

const count = z.number().int().nonnegative();

export const SeverityCountsSchema = z
  .object({
    critical: count.describe('findings that break containers now (no forwarding, bridge down, no NAT, ...)'),
    warning: count.describe('findings that will break something or waste resources (dangling volumes, disk filling)'),
    info: count.describe('findings worth knowing that need no action'),
  })
  .describe('findings by severity');

export const HostDoctorSchema = z.object({
  hostId: z.guid().describe('Corral id of the host'),
  hostname: z.string().describe('the hostname the host enrolled with'),
  stale: z.boolean().describe('the host is offline: these are the findings it last reported'),
  checkedAt: isoDate.nullable().describe('when the agent last reported a finding; null when it reports none'),
  counts: SeverityCountsSchema,
  findings: z.array(FindingSchema).describe('critical first, then warning, then info'),
});
export type HostDoctor = z.infer<typeof HostDoctorSchema>;

export const FleetDoctorSchema = z.object({
  totals: SeverityCountsSchema.describe('findings of the whole fleet by severity'),
  hosts: z
    .array(HostDoctorSchema)
    .describe('each host with at least one finding (of the severity asked), most critical first'),
});

export const FleetDoctorQuerySchema = z
  .object({
    severity: FindingSeveritySchema.optional().describe('only findings of this severity'),
  })
  .strict();
export type FleetDoctorQuery = z.infer<typeof FleetDoctorQuerySchema>;
