import { z } from 'zod';
import { isoDate } from './inventory.dto.js';

// host[:port] as image references name a registry: docker.io, registry.example.com, 10.0.0.5:5000, [::1]:5000.
const AddressSchema = z
  .string()
  .max(255)
  .regex(
    /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]{1,5})?$/,
    'host[:port] as image references name it (registry.example.com, 10.0.0.5:5000), without a scheme or path',
  )
  .describe("the registry's address as image references name it: host[:port] (docker.io for Docker Hub)");

export const RegistryInputSchema = z
  .strictObject({
    address: AddressSchema,
    username: z.string().min(1).max(255).optional().describe('user name to log in with'),
    password: z.string().min(1).max(4096).optional().describe('password (stored encrypted, never returned)'),
    token: z
      .string()
      .min(1)
      .max(8192)
      .optional()
      .describe('an identity token instead of a password (stored encrypted, never returned)'),
    insecure: z.boolean().default(false).describe("the registry speaks plain HTTP (the hosts' dockerd must allow it)"),
  })
  .refine((r) => (r.password === undefined) !== (r.token === undefined), {
    message: 'give either password or token (one of them)',
    path: ['password'],
  })
  .refine((r) => r.token !== undefined || r.username !== undefined, {
    message: 'a password needs a username',
    path: ['username'],
  });
export type RegistryInput = z.output<typeof RegistryInputSchema>;

export const RegistrySchema = z.object({
  id: z.guid().describe('Corral id of the registry'),
  address: z.string().describe('host[:port], as image references name it'),
  username: z.string().nullable().describe('user name pulls log in with; null with a token'),
  secretKind: z.enum(['password', 'token']).describe('what is stored (the secret itself is never returned)'),
  insecure: z.boolean().describe('the registry speaks plain HTTP'),
  createdBy: z.string().nullable().describe('who added it: "token:NAME (token id)"; null when unknown'),
  createdAt: isoDate.describe('when it was added'),
  updatedAt: isoDate.describe('when it was last changed'),
});
export type RegistryDto = z.infer<typeof RegistrySchema>;
export const RegistryListSchema = z.object({
  items: z.array(RegistrySchema).describe('every registry, by address; never a secret'),
});
