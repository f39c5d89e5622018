import { z } from 'zod';

export const HostRenameSchema = z.strictObject({
  hostname: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .refine(
      (name) => [...name].every((c) => c > ' ' && c !== '\u007f'),
      'a hostname without spaces or control characters',
    )
    .describe("the host's new name; its agent must report it from now on (CORRAL_HOSTNAME)"),
});
export type HostRename = z.output<typeof HostRenameSchema>;

export const HostRenamedSchema = z.object({
  hostId: z.guid().describe('Corral id of the host'),
  hostname: z.string().describe('its new name'),
  previousHostname: z.string().describe('the name it had before'),
});
