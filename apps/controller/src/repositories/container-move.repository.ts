import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import { KYSELY } from './tokens.js';

// A container as a copy or move needs it: where it is, what it is, and how it was made.
export interface MoveContainerRow {
  id: string;
  hostId: string;
  hostname: string;
  runtime: string;
  engineId: string;
  name: string;
  lxcPath: string | null;
  state: string;
  image: string | null;
  imageId: string | null;
  networks: unknown;
  mounts: unknown;
  memoryBytes: string | null;
}

export const containerMoveQueries = {
  container: (db: Db, id: string) =>
    db
      .selectFrom('Container as c')
      .innerJoin('Host as h', 'h.id', 'c.hostId')
      .select([
        'c.id',
        'c.hostId',
        'h.hostname',
        'c.runtime',
        'c.engineId',
        'c.name',
        'c.lxcPath',
        'c.state',
        'c.image',
        'c.imageId',
        'c.networks',
        'c.mounts',
        sql<string | null>`c."memoryBytes"::text`.as('memoryBytes'),
      ])
      .where('c.id', '=', id),
  // A host's bridges, those its dnsmasq lease files serve first (most leases first), then by name.
  bridges: (db: Db, hostId: string) =>
    db
      .selectFrom('Bridge as b')
      .select([
        'b.name',
        sql<number>`(SELECT count(*)::int FROM "Lease" l WHERE l."hostId" = b."hostId" AND l.bridge = b.name)`.as(
          'leases',
        ),
      ])
      .where('b.hostId', '=', hostId)
      .orderBy('leases', 'desc')
      .orderBy('b.name'),
  // The inventory row of a Docker image on a host, by its engine id.
  image: (db: Db, hostId: string, engineId: string) =>
    db.selectFrom('Image').select(['id']).where('hostId', '=', hostId).where('engineId', '=', engineId),
  // A container of that name on the host, as the inventory has it.
  named: (db: Db, hostId: string, name: string) =>
    db.selectFrom('Container').select(['id']).where('hostId', '=', hostId).where('name', '=', name),
};

@Injectable()
export class ContainerMoveRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  async container(id: string): Promise<MoveContainerRow | null> {
    return ((await containerMoveQueries.container(this.db, id).executeTakeFirst()) as MoveContainerRow) ?? null;
  }

  async bridges(hostId: string): Promise<{ name: string; leases: number }[]> {
    return containerMoveQueries.bridges(this.db, hostId).execute();
  }

  async imageOn(hostId: string, engineId: string): Promise<string | null> {
    return (await containerMoveQueries.image(this.db, hostId, engineId).executeTakeFirst())?.id ?? null;
  }

  async nameTaken(hostId: string, name: string): Promise<boolean> {
    return (await containerMoveQueries.named(this.db, hostId, name).executeTakeFirst()) !== undefined;
  }
}
