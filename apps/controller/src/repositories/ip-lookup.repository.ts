import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

interface HolderHost {
  hostId: string;
  hostHostname: string;
  hostStatus: 'online' | 'offline';
}

export type ContainerHolderRow = HolderHost & { id: string; name: string; runtime: string; state: string };
export type LeaseHolderRow = HolderHost & {
  id: string;
  mac: string;
  hostname: string | null;
  expiresAt: Date | null;
  bridge: string | null;
  source: string;
};
export type BridgeHolderRow = HolderHost & { id: string; name: string; state: string };
export type NetworkHolderRow = HolderHost & {
  id: string;
  name: string;
  engineId: string;
  driver: string;
  subnet: string;
};

export interface IpHolderRows {
  containers: ContainerHolderRow[];
  leases: LeaseHolderRow[];
  bridges: BridgeHolderRow[];
  networks: NetworkHolderRow[];
}

const hostColumns = Prisma.sql`h.id AS "hostId", h.hostname AS "hostHostname", h.status::text AS "hostStatus"`;

// Everything holding one address. `address` must already be a valid IP: it is cast to inet.
@Injectable()
export class IpLookupRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async holders(address: string): Promise<IpHolderRows> {
    const p = this.prisma;
    const [containers, leases, bridges, networks] = await Promise.all([
      p.$queryRaw<ContainerHolderRow[]>(Prisma.sql`
        SELECT t.id, t.name, t.runtime, t.state, ${hostColumns}
        FROM "Container" t JOIN "Host" h ON h.id = t."hostId"
        WHERE t.ipv4 @> ARRAY[${address}::text] OR t.ipv6 @> ARRAY[${address}::text]`),
      p.$queryRaw<LeaseHolderRow[]>(Prisma.sql`
        SELECT t.id, t.mac, t.hostname, t."expiresAt", t.bridge, t.source, ${hostColumns}
        FROM "Lease" t JOIN "Host" h ON h.id = t."hostId"
        WHERE t.ip = ${address}`),
      p.$queryRaw<BridgeHolderRow[]>(Prisma.sql`
        SELECT t.id, t.name, t.state, ${hostColumns}
        FROM "Bridge" t JOIN "Host" h ON h.id = t."hostId"
        WHERE t.ips @> ARRAY[${address}::text]`),
      // Subnets are text as Docker reported them; the shape check keeps one odd row from failing the
      // cast for the whole query, and inet (not cidr) accepts a subnet written with host bits set.
      // Mixed families (an IPv4 address against an IPv6 subnet) simply do not match.
      p.$queryRaw<NetworkHolderRow[]>(Prisma.sql`
        SELECT t.id, t.name, t."engineId", t.driver, s.subnet, ${hostColumns}
        FROM "Network" t JOIN "Host" h ON h.id = t."hostId"
        CROSS JOIN LATERAL (
          SELECT sub AS subnet FROM unnest(t.subnets) AS sub
          WHERE CASE WHEN sub ~ '^[0-9A-Fa-f:.]+/[0-9]{1,3}$' THEN ${address}::inet <<= sub::inet ELSE false END
          LIMIT 1
        ) s`),
    ]);
    return { containers, leases, bridges, networks };
  }
}
