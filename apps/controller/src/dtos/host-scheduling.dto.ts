import { HostLabelsSchema } from '@corral/protocol';
import { z } from 'zod';
import { HostSchema } from './host.dto.js';

export const HostLabelsBodySchema = z.strictObject({
  labels: HostLabelsSchema.describe('the API labels, replacing the present ones; {} removes them all'),
});

export const CordonBodySchema = z.strictObject({
  reason: z.string().trim().min(1).max(200).optional().describe('shown in placement explanations'),
});

export const DrainContainerSchema = z.object({
  id: z.guid().describe('Corral id of the container'),
  name: z.string().describe('container name'),
  runtime: z.enum(['docker', 'lxc']).describe('docker or lxc'),
  state: z.string().describe('container state, as in Container.state'),
  group: z.string().nullable().describe('placement group it belongs to, if any'),
  placementId: z.guid().nullable().describe('placement that made it, if any'),
});

export const DrainSchema = z.object({
  host: HostSchema.describe('the host, now cordoned'),
  containers: z.array(DrainContainerSchema).describe('what would have to move elsewhere; nothing is moved'),
});

export type DrainDto = z.infer<typeof DrainSchema>;
