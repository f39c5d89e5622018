import { z } from 'zod';
import { CommandSchema, DeadlineParamSchema } from './command.dto.js';

export const ImageCopyBodySchema = z.strictObject({
  toHosts: z
    .array(z.string().min(1).max(512).describe('a host: Corral id or hostname'))
    .min(1)
    .max(64)
    .describe('hosts to copy the image to, one command each'),
  deadlineSeconds: DeadlineParamSchema.optional().describe('deadline of each copy command (default 300)'),
});
export type ImageCopyBody = z.infer<typeof ImageCopyBodySchema>;

export const ImageCopyReplySchema = z.object({
  image: z.guid().describe('Corral id of the image copied'),
  fromHostId: z.guid().describe('the host it is copied from'),
  copies: z
    .array(
      z.object({
        hostId: z.guid().describe('destination host'),
        hostname: z.string().describe('its hostname'),
        command: CommandSchema.describe('the image.copy command loading the image there; follow its url'),
      }),
    )
    .describe('one per destination host, in the order asked'),
});
