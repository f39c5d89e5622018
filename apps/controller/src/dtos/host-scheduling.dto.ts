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

export const DrainQuerySchema = z.strictObject({
  move: z
    .enum(['true', 'false'])
    .optional()
    .describe(
      'true: move every container off the host, each where placement chooses, and answer with a result per container',
    ),
});

export const DrainMoveSchema = z.object({
  containerId: z.guid().describe('Corral id of the container'),
  name: z.string().describe('its name'),
  runtime: z.string().describe('docker or lxc'),
  outcome: z
    .enum(['moved', 'failed', 'unplaced'])
    .describe('moved; failed (the source is left as it was); unplaced (no host can take it)'),
  toHostId: z.guid().nullable().describe('the host placement chose'),
  toHostname: z.string().nullable().describe("that host's name"),
  error: z.string().nullable().describe('why it failed or was not placed'),
  move: z.record(z.string(), z.unknown()).nullable().describe('the move, as POST /containers/{id}/move answers it'),
});

export const DrainMovedSchema = DrainSchema.extend({
  moves: z.array(DrainMoveSchema).describe('one per container, in order'),
});
