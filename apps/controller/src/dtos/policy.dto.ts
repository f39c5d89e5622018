import { CreateGrantsSchema } from '@corral/protocol';
import { z } from 'zod';
import { isoDate } from './inventory.dto.js';
import { ConstraintSchema } from './placement.dto.js';

const PolicyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, '1 to 100 letters, digits, spaces, ".", "_" or "-"')
  .describe('a name for people, unique');

const SelectorSchema = z
  .array(ConstraintSchema)
  .max(32)
  .describe(
    "label constraints matched against the host's agent labels (CORRAL_LABELS, set on the host itself, so an " +
      'API label change cannot widen what a host allows); empty: every host',
  );

export const PolicyInputSchema = z.strictObject({
  name: PolicyNameSchema,
  selector: SelectorSchema.default([]),
  grants: CreateGrantsSchema.default(CreateGrantsSchema.parse({})).describe(
    'what creates may do on the matched hosts beyond the safe default; omitted fields grant nothing',
  ),
});
export type PolicyInput = z.output<typeof PolicyInputSchema>;

export const PolicySchema = z.object({
  id: z.guid().describe('Corral id of the policy'),
  name: z.string().describe('a name for people, unique'),
  selector: z
    .array(ConstraintSchema)
    .describe("label constraints matched against the host's agent labels; [] matches every host"),
  grants: CreateGrantsSchema.describe('what creates may do on the matched hosts beyond the safe default'),
  createdBy: z.string().nullable().describe('who made it: "token:NAME (token id)"; null when unknown'),
  createdAt: isoDate.describe('when it was made'),
  updatedAt: isoDate.describe('when it was last replaced'),
});
export type PolicyDto = z.infer<typeof PolicySchema>;

export const PolicyListSchema = z.object({ items: z.array(PolicySchema).describe('every create policy, by name') });

export const EffectivePolicySchema = z.object({
  hostId: z.guid().describe('Corral id of the host'),
  hostname: z.string().describe('hostname of the host'),
  policies: z
    .array(z.object({ id: z.guid().describe('Corral id of the policy'), name: z.string().describe('its name') }))
    .describe('the policies whose selector matches'),
  grants: CreateGrantsSchema.describe('what they allow together (any of them allowing is enough)'),
  installedTemplates: z
    .array(z.string())
    .nullable()
    .describe('LXC templates the host reported; the allowed templates when no policy lists any'),
});
