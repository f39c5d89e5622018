import { Inject, Injectable, Logger } from '@nestjs/common';
import { sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import { KYSELY } from '../repositories/tokens.js';
import { REPLICA_STALE_MS, ReplicaService } from './replica.service.js';

const keyOf = (id: string) => `holder:${id}`;

// Which replica holds an upload's file or an image transfer's reader, for the agents' GET and PUT
// of /api/v1/uploads/{id} that reach another replica: a `holder:<id>` row in ClusterSetting naming
// the replica, written before any agent is told the id and deleted when it is done with.
@Injectable()
export class ReplicaLocator {
  private readonly logger = new Logger(ReplicaLocator.name);

  constructor(
    @Inject(KYSELY) private readonly db: Db,
    private readonly replicas: ReplicaService,
  ) {}

  async claim(id: string): Promise<void> {
    await this.db
      .insertInto('ClusterSetting')
      .values({ key: keyOf(id), value: this.replicas.id })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: this.replicas.id }))
      .execute();
  }

  // Fire and forget: a row left behind names a replica for an id nobody will ask for again.
  release(id: string): void {
    this.db
      .deleteFrom('ClusterSetting')
      .where('key', '=', keyOf(id))
      .execute()
      .catch((err: Error) => this.logger.warn(`could not release ${keyOf(id)}: ${err.message}`));
  }

  // The live replica other than this one that holds `id`, or null.
  async holderOf(id: string): Promise<{ replicaId: string; url: string } | null> {
    const row = await this.db
      .selectFrom('ClusterSetting as s')
      .innerJoin('Replica as r', 'r.id', 's.value')
      .select(['r.id', 'r.url'])
      .where('s.key', '=', keyOf(id))
      .where('r.lastSeenAt', '>', sql<Date>`now() - make_interval(secs => ${REPLICA_STALE_MS / 1000})`)
      .executeTakeFirst();
    if (!row || row.id === this.replicas.id || !row.url) return null;
    return { replicaId: row.id, url: row.url };
  }
}
