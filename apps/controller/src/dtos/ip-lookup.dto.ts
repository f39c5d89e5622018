import { ContainerStateSchema, RuntimeNameSchema } from '@corral/protocol';
import { z } from 'zod';
import { HostStatusSchema } from './host.dto.js';
import { isoDate } from './inventory.dto.js';

export const IpHolderHostSchema = z.object({
  id: z.guid(),
  hostname: z.string(),
  status: HostStatusSchema,
});

const holder = { host: IpHolderHostSchema, id: z.guid().describe('Corral id of the holding row') };

export const IpMatchSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('container'),
    ...holder,
    name: z.string(),
    runtime: RuntimeNameSchema,
    state: ContainerStateSchema,
  }),
  z.object({
    kind: z.literal('lease'),
    ...holder,
    mac: z.string(),
    clientHostname: z.string().nullable(),
    expiresAt: isoDate.nullable(),
    bridge: z.string().nullable(),
    source: z.string(),
  }),
  z.object({ kind: z.literal('bridge'), ...holder, name: z.string(), state: z.string() }),
  z.object({
    kind: z.literal('network'),
    ...holder,
    name: z.string(),
    engineId: z.string(),
    driver: z.string(),
    subnet: z.string().describe('the subnet of the network that contains the address'),
  }),
]);

export const IpLookupSchema = z.object({
  address: z.string(),
  matches: z.array(IpMatchSchema).describe('every holder, ordered by hostname'),
});

export type IpMatch = z.infer<typeof IpMatchSchema>;
export type IpLookup = z.infer<typeof IpLookupSchema>;
