import { z } from 'zod';
import { isoDate } from './inventory.dto.js';
import { ConstraintSchema } from './placement.dto.js';

export const ImagePolicyInputSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, '1 to 100 letters, digits, spaces, ".", "_" or "-"')
    .describe('a name for people, unique'),
  selector: z
    .array(ConstraintSchema)
    .max(32)
    .default([])
    .describe("label constraints matched against the host's agent labels (CORRAL_LABELS); empty: every host"),
  allowedRegistries: z
    .array(
      z
        .string()
        .min(1)
        .max(255)
        .regex(/^[^\s/@]+$/, 'a registry address, host[:port] (docker.io for Docker Hub)'),
    )
    .max(256)
    .nullable()
    .default(null)
    .describe(
      'registries Docker creates on these hosts may run images from (docker.io for references without one); null: any',
    ),
  requireDigest: z
    .boolean()
    .default(false)
    .describe('Docker creates on these hosts must name their image by digest (name@sha256:...)'),
  refuseUnknownOrigin: z
    .boolean()
    .default(false)
    .describe(
      'Docker creates on these hosts may not run an image the host already holds whose origin is unknown (it appeared outside Corral); an image the create pulls is allowed',
    ),
});
export type ImagePolicyInput = z.output<typeof ImagePolicyInputSchema>;

export const ImagePolicySchema = z.object({
  id: z.guid().describe('Corral id of the image policy'),
  name: z.string().describe('a name for people, unique'),
  selector: z
    .array(ConstraintSchema)
    .describe("label constraints matched against the host's agent labels; [] matches every host"),
  allowedRegistries: z
    .array(z.string())
    .nullable()
    .describe('registries Docker creates on the matched hosts may run images from; null: any'),
  requireDigest: z.boolean().describe('whether creates on the matched hosts must name their image by digest'),
  refuseUnknownOrigin: z
    .boolean()
    .describe('whether creates on the matched hosts are refused images of unknown origin (appeared outside Corral)'),
  createdBy: z.string().nullable().describe('who made it: "token:NAME (token id)"; null when unknown'),
  createdAt: isoDate.describe('when it was made'),
  updatedAt: isoDate.describe('when it was last changed'),
});
export type ImagePolicyDto = z.infer<typeof ImagePolicySchema>;
export const ImagePolicyListSchema = z.object({
  items: z.array(ImagePolicySchema).describe('every image policy, by name'),
});
