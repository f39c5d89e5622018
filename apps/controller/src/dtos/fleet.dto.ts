import { z } from 'zod';

const count = z.number().int().nonnegative();
const byState = z.record(z.string(), count).describe('container count by state (running, exited, ...)');

export const FleetSummarySchema = z.object({
  hosts: z.object({ online: count, offline: count, total: count }),
  containers: z.object({ docker: byState, lxc: byState }),
  totals: z.object({
    containers: count,
    images: count,
    volumes: count,
    networks: count,
    bridges: count,
    leases: count,
    findings: count.describe('doctor findings'),
  }),
});

export type FleetSummary = z.infer<typeof FleetSummarySchema>;
