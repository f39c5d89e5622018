import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type pg from 'pg';
import { LEASE_HOLDER_KEY, LEASE_KEY, LEASE_NAMESPACE } from '../cluster/lease-keys.js';
import type { Db } from '../database/kysely.js';
import { runPrepared } from '../database/prepared.js';
import { KYSELY } from './tokens.js';

// Replicas among themselves: their rows (Replica), the rows naming which one holds what
// (ClusterSetting), and the statements of the two connections a replica keeps apart from the pool
// (the sweepers' lease, the listening connection).

const fresh = (staleMs: number) => sql<Date>`now() - make_interval(secs => ${staleMs / 1000})`;
const holderKey = (id: string) => `holder:${id}`;

export const clusterQueries = {
  // This replica's row refreshed, and how many other replicas' rows are fresh, in one statement.
  touchReplica: (db: Db, id: string, url: string, staleMs: number) =>
    db
      .with('me', (qc) =>
        qc
          .insertInto('Replica')
          .values({ id, url, lastSeenAt: sql`now()` })
          .onConflict((oc) => oc.column('id').doUpdateSet({ url, lastSeenAt: sql`now()` })),
      )
      .selectFrom('Replica')
      .select(sql<number>`count(*)::int`.as('peers'))
      .where('id', '<>', id)
      .where('lastSeenAt', '>', fresh(staleMs)),
  dropReplica: (db: Db, id: string) => db.deleteFrom('Replica').where('id', '=', id),
  // The live replica holding a host's agent.
  hostHolder: (db: Db, hostId: string, staleMs: number) =>
    db
      .selectFrom('Host as h')
      .innerJoin('Replica as r', 'r.id', 'h.replicaId')
      .select(['r.id', 'r.url'])
      .where('h.id', '=', hostId)
      .where('r.lastSeenAt', '>', fresh(staleMs)),
  // The replica the lease holder's row names, while pg_locks shows its lease connection holding the
  // lock (Postgres frees it the moment that connection ends).
  leaseHolder: () =>
    sql<{ id: string; url: string }>`SELECT r.id, r.url FROM "ClusterSetting" s \
JOIN "Replica" r ON r.id = s.value::jsonb->>'replicaId' \
JOIN pg_locks l ON l.pid = (s.value::jsonb->>'pid')::int \
WHERE s.key = ${LEASE_HOLDER_KEY} AND r.url <> '' \
AND l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
AND l.classid = ${LEASE_NAMESPACE}::oid AND l.objid = ${LEASE_KEY}::oid \
AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  // An upload's file or a transfer's reader, held by one replica: `holder:<id>` names it.
  claim: (db: Db, id: string, replicaId: string) =>
    db
      .insertInto('ClusterSetting')
      .values({ key: holderKey(id), value: replicaId })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: replicaId })),
  release: (db: Db, id: string) => db.deleteFrom('ClusterSetting').where('key', '=', holderKey(id)),
  holderOf: (db: Db, id: string, staleMs: number) =>
    db
      .selectFrom('ClusterSetting as s')
      .innerJoin('Replica as r', 'r.id', 's.value')
      .select(['r.id', 'r.url'])
      .where('s.key', '=', holderKey(id))
      .where('r.lastSeenAt', '>', fresh(staleMs)),
  // A setting the first replica writes and every other reads (the replicas' shared secret).
  offerSetting: (db: Db, key: string, value: string) =>
    db
      .insertInto('ClusterSetting')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doNothing()),
  setting: (db: Db, key: string) => db.selectFrom('ClusterSetting').select('value').where('key', '=', key),
};

// The statements of a replica's own connections, as text (they run on a pg.Client of their own).
export const CLUSTER_SQL = {
  // The server drops the session of a lease holder cut off from it within about 11 s (instead of
  // the system's two hours), which frees the lease for the others.
  leaseKeepalives: 'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3',
  tryLease: 'SELECT pg_try_advisory_lock($1, $2) AS ok',
  // Written on the lease's own connection, so that it names that connection's backend.
  nameLeaseHolder: `INSERT INTO "ClusterSetting" (key, value) \
VALUES ($1, json_build_object('replicaId', $2::text, 'pid', pg_backend_pid())::text) \
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
  ping: 'SELECT 1',
  // Notes as two parallel arrays; the function scan hands them to pg_notify in array order.
  notifyMany: 'SELECT pg_notify(n.channel, n.payload) FROM unnest($1::text[], $2::text[]) AS n(channel, payload)',
  // Channel names are the code's own constants, never input.
  listen: (channel: string) => `LISTEN ${channel}`,
} as const;

// The lease connection's statements.
export const leaseStatements = {
  async setKeepalives(client: pg.Client): Promise<void> {
    await client.query(CLUSTER_SQL.leaseKeepalives);
  },
  async tryTake(client: pg.Client): Promise<boolean> {
    const { rows } = await client.query<{ ok: boolean }>(CLUSTER_SQL.tryLease, [LEASE_NAMESPACE, LEASE_KEY]);
    return rows[0]?.ok === true;
  },
  async nameHolder(client: pg.Client, replicaId: string): Promise<void> {
    await client.query(CLUSTER_SQL.nameLeaseHolder, [LEASE_HOLDER_KEY, replicaId]);
  },
  async ping(client: pg.Client): Promise<void> {
    await client.query(CLUSTER_SQL.ping);
  },
};

// The listening connection's statements, and the notes sent through the pool.
export const channelStatements = {
  async listen(client: pg.Client, channels: readonly string[]): Promise<void> {
    for (const channel of channels) await client.query(CLUSTER_SQL.listen(channel));
  },
  async notifyMany(pool: pg.Pool, channels: readonly string[], payloads: readonly string[]): Promise<void> {
    await runPrepared(pool, CLUSTER_SQL.notifyMany, [channels, payloads]);
  },
};

@Injectable()
export class ClusterRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  // The number of other replicas whose rows are fresh.
  async touchReplica(id: string, url: string, staleMs: number): Promise<number> {
    return (await clusterQueries.touchReplica(this.db, id, url, staleMs).executeTakeFirstOrThrow()).peers;
  }

  async dropReplica(id: string): Promise<void> {
    await clusterQueries.dropReplica(this.db, id).execute();
  }

  async hostHolder(hostId: string, staleMs: number): Promise<{ id: string; url: string } | null> {
    return (await clusterQueries.hostHolder(this.db, hostId, staleMs).executeTakeFirst()) ?? null;
  }

  async leaseHolder(): Promise<{ id: string; url: string } | null> {
    return (await clusterQueries.leaseHolder().execute(this.db)).rows[0] ?? null;
  }

  async claim(id: string, replicaId: string): Promise<void> {
    await clusterQueries.claim(this.db, id, replicaId).execute();
  }

  async release(id: string): Promise<void> {
    await clusterQueries.release(this.db, id).execute();
  }

  async holderOf(id: string, staleMs: number): Promise<{ id: string; url: string } | null> {
    return (await clusterQueries.holderOf(this.db, id, staleMs).executeTakeFirst()) ?? null;
  }

  // The setting's value: this one's, unless another replica wrote it first.
  async sharedSetting(key: string, offered: string): Promise<string> {
    await clusterQueries.offerSetting(this.db, key, offered).execute();
    return (await clusterQueries.setting(this.db, key).executeTakeFirstOrThrow()).value;
  }
}
