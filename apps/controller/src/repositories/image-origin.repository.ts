import { Inject, Injectable } from '@nestjs/common';
import { type SqlBool, sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import type { ImageNames } from '../services/image-policy.js';
import { pgJson } from './pg-encoding.js';
import { KYSELY } from './tokens.js';

// How an image came to a host, as stored (one row per host and Docker image id).
export interface ImageOriginRow {
  hostId: string;
  engineId: string;
  kind: string;
  registry: string | null;
  reference: string | null;
  digest: string | null;
  fromHostId: string | null;
  fromHostname: string | null;
  fromImage: string | null;
  uploadId: string | null;
  container: string | null;
  commandId: string | null;
  requestedBy: string | null;
  recordedAt: Date;
  source: unknown;
}

export type NewImageOrigin = Omit<ImageOriginRow, 'source'> & { source: Record<string, unknown> | null };

// An image row with what a copy needs to know of it.
export interface ImageTransferRow {
  id: string;
  hostId: string;
  hostname: string;
  engineId: string;
  sizeBytes: string;
}

export const imageOriginQueries = {
  // What Corral did replaces whatever was known before (an image first seen as unknown, then loaded).
  upsert: (db: Db, origins: NewImageOrigin[]) =>
    db
      .insertInto('ImageOrigin')
      .values(origins.map((o) => ({ ...o, source: o.source === null ? null : pgJson(o.source) })))
      .onConflict((oc) =>
        oc.columns(['hostId', 'engineId']).doUpdateSet((eb) => ({
          kind: eb.ref('excluded.kind'),
          registry: eb.ref('excluded.registry'),
          reference: eb.ref('excluded.reference'),
          digest: eb.ref('excluded.digest'),
          fromHostId: eb.ref('excluded.fromHostId'),
          fromHostname: eb.ref('excluded.fromHostname'),
          fromImage: eb.ref('excluded.fromImage'),
          uploadId: eb.ref('excluded.uploadId'),
          container: eb.ref('excluded.container'),
          commandId: eb.ref('excluded.commandId'),
          requestedBy: eb.ref('excluded.requestedBy'),
          recordedAt: eb.ref('excluded.recordedAt'),
          source: eb.ref('excluded.source'),
        })),
      ),
  // Images seen for the first time: `unknown` unless an origin is already known.
  unknown: (db: Db, seen: { hostId: string; engineId: string; at: Date }[]) =>
    db
      .insertInto('ImageOrigin')
      .values(seen.map((s) => ({ hostId: s.hostId, engineId: s.engineId, kind: 'unknown', recordedAt: s.at })))
      .onConflict((oc) => oc.columns(['hostId', 'engineId']).doNothing()),
  find: (db: Db, hostId: string, engineId: string) =>
    db.selectFrom('ImageOrigin').selectAll().where('hostId', '=', hostId).where('engineId', '=', engineId),
  // The origin of the image each of these hosts holds under any of these names; `unknown` for an
  // image held with no origin recorded yet (its first sighting is being written).
  originOnHosts: (db: Db, hostIds: readonly string[], names: ImageNames) => {
    return db
      .selectFrom('Image as i')
      .leftJoin('ImageOrigin as o', (join) =>
        join.onRef('o.hostId', '=', 'i.hostId').onRef('o.engineId', '=', 'i.engineId'),
      )
      .select(['i.hostId', sql<string>`coalesce(o.kind, 'unknown')`.as('kind')])
      .where('i.hostId', 'in', [...hostIds])
      .where((eb) =>
        eb.or([
          sql<SqlBool>`i.tags && ${sql.val(names.tags)}::text[]`,
          sql<SqlBool>`i."repoDigests" && ${sql.val(names.repoDigests)}::text[]`,
          // idPrefix is sha256: and hex digits only: nothing in it LIKE would read as a pattern.
          ...(names.idPrefix ? [sql<SqlBool>`i."engineId" LIKE ${`${names.idPrefix}%`}`] : []),
        ]),
      );
  },
  hostname: (db: Db, hostId: string) => db.selectFrom('Host').select('hostname').where('id', '=', hostId),
  transferRow: (db: Db, id: string) =>
    db
      .selectFrom('Image as i')
      .innerJoin('Host as h', 'h.id', 'i.hostId')
      .select(['i.id', 'i.hostId', 'h.hostname', 'i.engineId', sql<string>`i."sizeBytes"::text`.as('sizeBytes')])
      .where('i.id', '=', id),
};

@Injectable()
export class ImageOriginRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  async record(origins: NewImageOrigin[]): Promise<void> {
    if (origins.length > 0) await imageOriginQueries.upsert(this.db, origins).execute();
  }

  async recordUnknown(seen: { hostId: string; engineId: string; at: Date }[]): Promise<void> {
    if (seen.length > 0) await imageOriginQueries.unknown(this.db, seen).execute();
  }

  async find(hostId: string, engineId: string): Promise<ImageOriginRow | null> {
    return ((await imageOriginQueries.find(this.db, hostId, engineId).executeTakeFirst()) as ImageOriginRow) ?? null;
  }

  // Per host id, the origin of the image named so there; hosts that do not hold it are absent.
  async originOnHosts(hostIds: readonly string[], names: ImageNames): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const named = names.tags.length > 0 || names.repoDigests.length > 0 || names.idPrefix !== null;
    if (hostIds.length === 0 || !named) return out;
    for (const row of await imageOriginQueries.originOnHosts(this.db, hostIds, names).execute()) {
      // Two records may match (a tag and an id of different images): unknown wins.
      if (out.get(row.hostId) !== 'unknown') out.set(row.hostId, row.kind);
    }
    return out;
  }

  async hostname(hostId: string): Promise<string | null> {
    return (await imageOriginQueries.hostname(this.db, hostId).executeTakeFirst())?.hostname ?? null;
  }

  async transferRow(id: string): Promise<ImageTransferRow | null> {
    return (await imageOriginQueries.transferRow(this.db, id).executeTakeFirst()) ?? null;
  }
}
