import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { sql } from 'kysely';
import type { Config } from '../config/config.js';
import type { Db } from '../database/kysely.js';
import { CONFIG, KYSELY } from '../repositories/tokens.js';
import { LEASE_HOLDER_KEY, LEASE_KEY, LEASE_NAMESPACE } from './lease-keys.js';

// How often a replica refreshes its row; one not refreshed for REPLICA_STALE_MS is taken for dead.
export const REPLICA_REFRESH_MS = 2_000;
export const REPLICA_STALE_MS = 10_000;

// This controller process among the replicas serving the database: its id (CORRAL_REPLICA_ID, else
// hostname, pid and a random part) and the URL other replicas reach it at (CORRAL_REPLICA_URL, else
// the port it listens on at 127.0.0.1, which fits replicas on one machine).
@Injectable()
export class ReplicaService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReplicaService.name);
  readonly id: string;
  private urlValue: string;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(KYSELY) private readonly db: Db,
    private readonly http: HttpAdapterHost,
  ) {
    this.id = config.replicaId || `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.urlValue = config.replicaUrl || '';
  }

  get url(): string {
    return this.urlValue;
  }

  // Without a configured URL, the port the HTTP server listens on (known once it listens).
  onApplicationBootstrap(): void {
    if (this.config.replicaUrl) return;
    const server = this.http.httpAdapter?.getHttpServer() as import('node:http').Server | undefined;
    if (!server) return;
    const learn = () => {
      const address = server.address() as AddressInfo | null;
      if (!address || typeof address === 'string') return;
      this.urlValue = `${this.config.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
      this.refresh().catch(() => {});
    };
    if (server.listening) learn();
    else server.once('listening', learn);
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err: Error) => this.logger.warn(`could not refresh replica ${this.id}: ${err.message}`));
    }, REPLICA_REFRESH_MS);
    this.timer.unref();
    this.logger.log(`replica ${this.id}`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.db
      .deleteFrom('Replica')
      .where('id', '=', this.id)
      .execute()
      .catch(() => {});
  }

  // The replicas whose rows are fresh, this one included.
  async live(): Promise<{ id: string; url: string }[]> {
    return this.db
      .selectFrom('Replica')
      .select(['id', 'url'])
      .where('lastSeenAt', '>', sql<Date>`now() - make_interval(secs => ${REPLICA_STALE_MS / 1000})`)
      .orderBy('id')
      .execute();
  }

  // Where the replica holding this host's agent is reached, or null when it is this one, the host
  // has no connection, or that replica is gone.
  async holderOf(hostId: string): Promise<{ replicaId: string; url: string } | null> {
    const row = await this.db
      .selectFrom('Host as h')
      .innerJoin('Replica as r', 'r.id', 'h.replicaId')
      .select(['r.id', 'r.url'])
      .where('h.id', '=', hostId)
      .where('r.lastSeenAt', '>', sql<Date>`now() - make_interval(secs => ${REPLICA_STALE_MS / 1000})`)
      .executeTakeFirst();
    if (!row || row.id === this.id) return null;
    return { replicaId: row.id, url: row.url };
  }

  // The replica holding the sweepers' lease (which also decides placements), this one included, or
  // null when none does now. The row the holder wrote names it; pg_locks confirms its lease
  // connection still holds the lock (Postgres frees it the moment that connection ends).
  async leaseHolder(): Promise<{ replicaId: string; url: string } | null> {
    const row = await sql<{ id: string; url: string }>`
      SELECT r.id, r.url FROM "ClusterSetting" s
      JOIN "Replica" r ON r.id = s.value::jsonb->>'replicaId'
      JOIN pg_locks l ON l.pid = (s.value::jsonb->>'pid')::int
      WHERE s.key = ${LEASE_HOLDER_KEY} AND r.url <> ''
        AND l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
        AND l.classid = ${LEASE_NAMESPACE}::oid AND l.objid = ${LEASE_KEY}::oid
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`
      .execute(this.db)
      .then((r) => r.rows[0]);
    return row ? { replicaId: row.id, url: row.url } : null;
  }

  private async refresh(): Promise<void> {
    await this.db
      .insertInto('Replica')
      .values({ id: this.id, url: this.urlValue, lastSeenAt: sql`now()` })
      .onConflict((oc) => oc.column('id').doUpdateSet({ url: this.urlValue, lastSeenAt: sql`now()` }))
      .execute();
  }
}
