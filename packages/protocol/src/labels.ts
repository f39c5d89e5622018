import { z } from 'zod';

// Host labels, as an agent's config and the API set them; the scheduler's constraints match them.
// Keys and values keep to a small alphabet so that "zone=eu,disk=ssd" and query strings stay unambiguous.
export const MAX_HOST_LABELS = 64;

export const HostLabelKeySchema = z
  .string()
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/,
    'a label key is 1 to 63 letters, digits, ".", "_", "/" or "-", starting and ending with a letter or digit',
  );

export const HostLabelValueSchema = z
  .string()
  .regex(
    /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/,
    'a label value is empty or 1 to 63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  );

export const HostLabelsSchema = z
  .record(HostLabelKeySchema, HostLabelValueSchema)
  .refine((labels) => Object.keys(labels).length <= MAX_HOST_LABELS, `at most ${MAX_HOST_LABELS} labels`)
  .describe('host labels, key to value');
export type HostLabels = z.infer<typeof HostLabelsSchema>;
