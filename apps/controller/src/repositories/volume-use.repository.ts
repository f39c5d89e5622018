import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import type { Tx } from '../database/transaction.js';
import type { VolumeUse, VolumeUseInput } from '../services/volume-guard.js';
import { anyOf } from './sql-helpers.js';
import { KYSELY } from './tokens.js';

const MAX_CONTAINERS = 20;

// The volume guard's history: which image family mounted which volume of a host, and when.
@Injectable()
export class VolumeUseRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  // In the inventory's transaction; `uses` must hold each key once (mergeVolumeUses).
  async record(tx: Tx, uses: VolumeUseInput[], now: Date): Promise<void> {
    if (uses.length === 0) return;
    await volumeUseQueries.record(tx.db, uses, now).execute();
  }

  // The history of those volumes on one host that exist there now, latest use first.
  async ofVolumes(hostId: string, volumes: string[]): Promise<VolumeUse[]> {
    if (volumes.length === 0) return [];
    return volumeUseQueries.ofVolumes(this.db, hostId, volumes).execute();
  }
}

export const volumeUseQueries = {
  record: (db: Db, uses: VolumeUseInput[], now: Date) =>
    db
      .insertInto('VolumeUse')
      .values(
        uses.map((u) => ({
          id: sql<string>`gen_random_uuid()`,
          hostId: u.hostId,
          volume: u.volume,
          family: u.family,
          repository: u.repository,
          imageId: u.imageId,
          containers: u.containers.slice(-MAX_CONTAINERS),
          firstSeenAt: now,
          lastUsedAt: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['hostId', 'volume', 'family', 'imageId']).doUpdateSet({
          lastUsedAt: now,
          // Every name seen, at most MAX_CONTAINERS of them.
          containers: sql<
            string[]
          >`(SELECT coalesce(array_agg(c), '{}') FROM (SELECT DISTINCT c FROM unnest("VolumeUse".containers || excluded.containers) c ORDER BY c LIMIT ${MAX_CONTAINERS}) k)`,
        }),
      ),

  ofVolumes: (db: Db, hostId: string, volumes: string[]) =>
    db
      .selectFrom('VolumeUse as u')
      .where('u.hostId', '=', hostId)
      .where('u.volume', '=', anyOf(volumes))
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('Volume as v')
            .select('v.id')
            .whereRef('v.hostId', '=', 'u.hostId')
            .whereRef('v.name', '=', 'u.volume'),
        ),
      )
      .select(['u.volume', 'u.family', 'u.repository', 'u.imageId', 'u.containers', 'u.firstSeenAt', 'u.lastUsedAt'])
      .orderBy('u.lastUsedAt', 'desc')
      .orderBy('u.family'),
};
