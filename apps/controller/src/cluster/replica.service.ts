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
import type { Config } from '../config/config.js';
import { ClusterRepository } from '../repositories/cluster.repository.js';
import { CONFIG } from '../repositories/tokens.js';

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
  private peerSeenAt = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly repo: ClusterRepository,
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
    await this.repo.dropReplica(this.id).catch(() => {});
  }

  // When this replica last saw another's row fresh (at its own refresh, every REPLICA_REFRESH_MS).
  lastPeerSeenAt(): number {
    return this.peerSeenAt;
  }

  // Where the replica holding this host's agent is reached, or null when it is this one, the host
  // has no connection, or that replica is gone.
  async holderOf(hostId: string): Promise<{ replicaId: string; url: string } | null> {
    const row = await this.repo.hostHolder(hostId, REPLICA_STALE_MS);
    if (!row || row.id === this.id) return null;
    return { replicaId: row.id, url: row.url };
  }

  // The replica holding the sweepers' lease (which also decides placements), this one included, or
  // null when none does now. The row the holder wrote names it; pg_locks confirms its lease
  // connection still holds the lock (Postgres frees it the moment that connection ends).
  async leaseHolder(): Promise<{ replicaId: string; url: string } | null> {
    const row = await this.repo.leaseHolder();
    return row ? { replicaId: row.id, url: row.url } : null;
  }

  private async refresh(): Promise<void> {
    const peers = await this.repo.touchReplica(this.id, this.urlValue, REPLICA_STALE_MS);
    if (peers > 0) this.peerSeenAt = Date.now();
  }
}
