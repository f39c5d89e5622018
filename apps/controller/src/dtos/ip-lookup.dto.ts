import { ContainerStateSchema, RuntimeNameSchema } from '@corral/protocol';
import { z } from 'zod';
import { HostStatusSchema } from './host.dto.js';
import { isoDate } from './inventory.dto.js';

export const IpHolderHostSchema = z.object({
  id: z.guid().describe('Corral id of the host'),
  hostname: z.string().describe('hostname of the host'),
  status: HostStatusSchema.describe('online or offline (offline: the match is its last known state)'),
});

const holder = {
  host: IpHolderHostSchema.describe('the host where the address was seen'),
  id: z.guid().describe('Corral id of the holding row'),
};

export const IpMatchSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('container').describe('a container has the address (GET /containers/{id} for the rest)'),
    ...holder,
    name: z.string().describe('container name'),
    runtime: RuntimeNameSchema.describe('docker or lxc'),
    state: ContainerStateSchema.describe('container state, as in Container.state'),
  }),
  z.object({
    kind: z.literal('lease').describe('a DHCP lease hands out the address'),
    ...holder,
    mac: z.string().describe('MAC address of the client, lower case'),
    clientHostname: z.string().nullable().describe('hostname the DHCP client sent; null when none'),
    expiresAt: isoDate.nullable().describe('when the lease ends; null for infinite leases'),
    bridge: z.string().nullable().describe('bridge the lease file serves, when known'),
    source: z.string().describe('lease file the lease was read from'),
  }),
  z.object({
    kind: z.literal('bridge').describe('a host bridge carries the address'),
    ...holder,
    name: z.string().describe('bridge interface name'),
    state: z.string().describe('operstate: UP, DOWN, UNKNOWN, ...'),
  }),
  z.object({
    kind: z.literal('network').describe("the address is in a Docker network's subnet"),
    ...holder,
    name: z.string().describe('network name'),
    engineId: z.string().describe('Docker network id'),
    driver: z.string().describe('network driver, e.g. bridge'),
    subnet: z.string().describe('the subnet of the network that contains the address'),
  }),
]);

export const IpLookupSchema = z.object({
  address: z.string().describe('the address looked up, normalized: lower case, IPv6 in its short form'),
  matches: z.array(IpMatchSchema).describe('every holder, ordered by hostname'),
});

export type IpMatch = z.infer<typeof IpMatchSchema>;
export type IpLookup = z.infer<typeof IpLookupSchema>;
