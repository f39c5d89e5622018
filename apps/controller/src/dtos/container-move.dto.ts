import { z } from 'zod';

const toHost = z.string().min(1).max(512).describe('the host it goes to: Corral id or hostname');

export const ContainerMoveBodySchema = z.strictObject({ toHost });
export type ContainerMoveBody = z.infer<typeof ContainerMoveBodySchema>;

export const ContainerCopyBodySchema = z.strictObject({
  toHost,
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, and _ . - after the first character')
    .optional()
    .describe("name of the copy on the target host (default: the source's name)"),
});
export type ContainerCopyBody = z.infer<typeof ContainerCopyBodySchema>;

const MoveStepSchema = z.object({
  op: z.string().describe('the op of the step (container.stop, container.restore, container.remove, ...)'),
  hostId: z.guid().describe('the host it ran on'),
  commandId: z.guid().describe('its command; GET /commands/{id} for its output and result'),
  status: z.string().describe('how the command ended'),
  error: z.string().nullable().describe('its error, when it failed'),
});

export const ContainerMoveReplySchema = z.object({
  mode: z.enum(['copy', 'move']).describe('what was done'),
  runtime: z.string().describe('runtime of the container (lxc)'),
  source: z
    .object({
      containerId: z.guid().describe('Corral id of the source container'),
      hostId: z.guid().describe('its host'),
      hostname: z.string().describe("its host's name"),
      name: z.string().describe('its name'),
      kept: z.boolean().describe('whether the source still exists (copy: yes; move: only if removing it failed)'),
      state: z.string().describe('its state afterwards: running, stopped or removed'),
    })
    .describe('the container copied or moved'),
  target: z
    .object({
      containerId: z.guid().nullable().describe('Corral id of the new container, once the inventory has it'),
      hostId: z.guid().describe('the host it is on now'),
      hostname: z.string().describe("that host's name"),
      name: z.string().describe('its name there'),
      state: z.string().describe('its state there (running)'),
      hwaddrs: z.array(z.string()).describe('the fresh MAC of each of its network interfaces'),
    })
    .describe('the container made on the target host'),
  bridge: z.string().nullable().describe("the target host's bridge its interfaces are linked to"),
  bytes: z.number().nullable().describe('size of the archive streamed through the controller'),
  steps: z.array(MoveStepSchema).describe('the commands it took, in order'),
  warnings: z.array(z.string()).describe('what went wrong after the target ran (a source that could not be removed)'),
});
