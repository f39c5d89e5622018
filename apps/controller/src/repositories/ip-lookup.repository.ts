import type { HostStatus } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import { KYSELY } from './tokens.js';

interface HolderHost {
  hostId: string;
  hostHostname: string;
  hostStatus: HostStatus;
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

// Everything holding one address. `address` must already be a valid IP: it is cast to inet.
@Injectable()
export class IpLookupRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  async holders(address: string): Promise<IpHolderRows> {
    const q = ipLookupQueries;
    const [containers, leases, bridges, networks] = await Promise.all([
      q.containers(this.db, address).execute(),
      q.leases(this.db, address).execute(),
      q.bridges(this.db, address).execute(),
      q.networks(this.db, address).execute(),
    ]);
    return { containers, leases, bridges, networks };
  }
}

const HOST_COLUMNS = ['h.id as hostId', 'h.hostname as hostHostname', 'h.status as hostStatus'] as const;
const holds = (address: string) => sql<string[]>`ARRAY[${address}::text]`;

export const ipLookupQueries = {
  containers: (db: Db, address: string) =>
    db
      .selectFrom('Container as t')
      .innerJoin('Host as h', 'h.id', 't.hostId')
      .select(['t.id', 't.name', 't.runtime', 't.state', ...HOST_COLUMNS])
      .where((eb) => eb.or([eb('t.ipv4', '@>', holds(address)), eb('t.ipv6', '@>', holds(address))])),

  leases: (db: Db, address: string) =>
    db
      .selectFrom('Lease as t')
      .innerJoin('Host as h', 'h.id', 't.hostId')
      .select(['t.id', 't.mac', 't.hostname', 't.expiresAt', 't.bridge', 't.source', ...HOST_COLUMNS])
      .where('t.ip', '=', address),

  bridges: (db: Db, address: string) =>
    db
      .selectFrom('Bridge as t')
      .innerJoin('Host as h', 'h.id', 't.hostId')
      .select(['t.id', 't.name', 't.state', ...HOST_COLUMNS])
      .where('t.ips', '@>', holds(address)),

  // Subnets are text as Docker reported them; the shape check keeps one odd row from failing the
  // cast for the whole query, and inet (not cidr) accepts a subnet written with host bits set.
  // Mixed families (an IPv4 address against an IPv6 subnet) simply do not match.
  networks: (db: Db, address: string) =>
    db
      .selectFrom('Network as t')
      .innerJoin('Host as h', 'h.id', 't.hostId')
      .crossJoinLateral((eb) =>
        eb
          .selectFrom(sql<{ sub: string }>`unnest(t.subnets)`.as('sub'))
          .select('sub as subnet')
          .where(
            sql<boolean>`CASE WHEN sub ~ '^[0-9A-Fa-f:.]+/[0-9]{1,3}$' THEN ${address}::inet <<= sub::inet ELSE false END`,
          )
          .limit(1)
          .as('s'),
      )
      .select(['t.id', 't.name', 't.engineId', 't.driver', 's.subnet', ...HOST_COLUMNS]),
};
