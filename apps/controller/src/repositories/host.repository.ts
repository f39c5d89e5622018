import { HOST_STATUS } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import type { Db } from '../database/kysely.js';
import { anyOf } from './sql-helpers.js';
import { KYSELY } from './tokens.js';

@Injectable()
export class HostRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  // `seenBefore` leaves alone hosts online and seen since then (heartbeats keep them fresh), so a
  // sweep over a large fleet rewrites only the rows that need it. Rows are locked in id order, as
  // the ingest batches and heartbeats lock them, so a sweep over thousands of hosts cannot deadlock
  // with them.
  async touch(hostIds: string[], now: Date, seenBefore?: Date): Promise<void> {
    if (hostIds.length === 0) return;
    await hostQueries.touch(this.db, hostIds, now, seenBefore).execute();
  }

  // Online hosts not heard from since `seenBefore` go offline; their inventory stays, marked stale.
  // One statement with the connected hosts as one array parameter (at 10,000 connected hosts a
  // find-then-update with an id list spelled out cost the controller a burst of CPU every sweep).
  markOffline(seenBefore: Date, exceptIds: string[], now: Date): Promise<{ id: string; hostname: string }[]> {
    return hostQueries.markOffline(this.db, seenBefore, exceptIds, now).execute();
  }
}

export const hostQueries = {
  touch: (db: Db, hostIds: string[], now: Date, seenBefore?: Date) =>
    db
      .with(
        (cte) => cte('l').materialized(),
        (db) =>
          db
            .selectFrom('Host')
            .select('id')
            .where('id', '=', anyOf(hostIds))
            .$if(seenBefore !== undefined, (q) =>
              q.where((eb) =>
                eb.or([
                  eb('status', '<>', HOST_STATUS.online),
                  eb('lastSeenAt', 'is', null),
                  eb('lastSeenAt', '<', seenBefore!),
                ]),
              ),
            )
            .orderBy('id')
            .forUpdate(),
      )
      .updateTable('Host as h')
      .from('l')
      .set({ lastSeenAt: now, status: HOST_STATUS.online, offlineAt: null, updatedAt: now })
      .whereRef('h.id', '=', 'l.id'),

  // Rows locked in id order, as the heartbeat batches and the ingest lock them.
  markOffline: (db: Db, seenBefore: Date, exceptIds: string[], now: Date) =>
    db
      .with(
        (cte) => cte('l').materialized(),
        (db) =>
          db
            .selectFrom('Host')
            .select('id')
            .where('status', '=', HOST_STATUS.online)
            .where('lastSeenAt', '<', seenBefore)
            .where((eb) => eb.not(eb('id', '=', anyOf(exceptIds))))
            .orderBy('id')
            .forUpdate(),
      )
      .updateTable('Host as h')
      .from('l')
      .set({ status: HOST_STATUS.offline, offlineAt: now })
      .whereRef('h.id', '=', 'l.id')
      .where('h.status', '=', HOST_STATUS.online)
      .returning(['h.id', 'h.hostname']),
};
