import { z } from 'zod';

const count = z.number().int().nonnegative();
const byState = z.record(z.string(), count).describe('container count by state (running, exited, ...)');

export const FleetSummarySchema = z.object({
  hosts: z
    .object({
      online: count.describe('hosts whose agent is connected'),
      offline: count.describe('hosts whose agent is not connected'),
      total: count.describe('every enrolled host'),
    })
    .describe('hosts by status'),
  containers: z
    .object({
      docker: byState.describe('Docker containers by state (running, exited, ...)'),
      lxc: byState.describe('LXC containers by state (running, stopped, ...)'),
    })
    .describe('containers by runtime, then state'),
  totals: z
    .object({
      containers: count.describe('containers across the fleet'),
      images: count.describe('Docker images across the fleet (one per host holding it)'),
      volumes: count.describe('Docker volumes across the fleet'),
      networks: count.describe('Docker networks across the fleet'),
      bridges: count.describe('Linux bridges across the fleet'),
      leases: count.describe('DHCP leases across the fleet'),
      findings: count.describe('doctor findings across the fleet (GET /doctor lists them)'),
    })
    .describe('inventory rows of each kind, offline hosts included'),
});

export type FleetSummary = z.infer<typeof FleetSummarySchema>;
