import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import type { DatabaseHandle } from '../app.module.js';
import { leaseStatements } from '../repositories/cluster.repository.js';
import { DATABASE } from '../repositories/tokens.js';
import { LEASE_JOB } from './lease-keys.js';
import { ReplicaService } from './replica.service.js';

// A replica not holding the lease tries to take it this often; so another takes over within it
// once the holder's session ends (a killed process's socket is closed by its kernel at once).
export const LEASE_RETRY_MS = 1_000;
const LEASE_CHECK_TIMEOUT_MS = 3_000;

// The sweepers' lease: a session-level advisory lock held on a connection of its own. It is the
// replica's while that connection lives; Postgres frees it when the connection ends, whether the
// process stopped, died or lost the network (TCP keepalive). Jobs ask `holds()` before each run.
// The holder also decides placements (PlacementRouter): the others find it through the row it
// writes on taking the lock.
@Injectable()
export class LeaderLease implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LeaderLease.name);
  private client: pg.Client | null = null;
  private held = false;
  private timer: NodeJS.Timeout | null = null;
  private trying = false;
  private stopped = false;
  private readonly listeners = new Set<(held: boolean) => void>();

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    private readonly replica: ReplicaService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.tryTake();
    this.timer = setInterval(() => {
      void (this.held ? this.check() : this.tryTake());
    }, LEASE_RETRY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const client = this.client;
    this.client = null;
    this.set(false);
    await client?.end().catch(() => {});
  }

  holds(): boolean {
    return this.held;
  }

  // Told whenever this replica takes or loses the lease (and once at once with the current state).
  watch(listener: (held: boolean) => void): () => void {
    this.listeners.add(listener);
    listener(this.held);
    return () => this.listeners.delete(listener);
  }

  private async tryTake(): Promise<void> {
    if (this.trying || this.stopped) return;
    this.trying = true;
    try {
      if (!this.client) {
        const client = new pg.Client({
          connectionString: this.database.url,
          keepAlive: true,
          keepAliveInitialDelayMillis: 5_000,
          query_timeout: LEASE_CHECK_TIMEOUT_MS,
        });
        client.on('error', (err) => this.lost(client, err));
        client.on('end', () => this.lost(client, new Error('connection ended')));
        await client.connect();
        await leaseStatements.setKeepalives(client);
        this.client = client;
      }
      if (await leaseStatements.tryTake(this.client)) {
        // Written on the lease's own connection: if that write fails, the catch below ends the
        // connection, and with it the lock.
        await leaseStatements.nameHolder(this.client, this.replica.id);
        this.logger.log(`this replica now runs the ${LEASE_JOB} (offline sweep, command deadlines, retention)`);
        this.set(true);
      }
    } catch (err) {
      this.logger.warn(`could not try the ${LEASE_JOB} lease: ${(err as Error).message}`);
      const client = this.client;
      this.client = null;
      this.set(false);
      await client?.end().catch(() => {});
    } finally {
      this.trying = false;
    }
  }

  // The holder asks its connection every second: one that does not answer within
  // LEASE_CHECK_TIMEOUT_MS is given up (the jobs stop here), since the server may be about to free
  // the lease for another replica.
  private async check(): Promise<void> {
    const client = this.client;
    if (!client || this.trying) return;
    this.trying = true;
    try {
      await leaseStatements.ping(client);
    } catch (err) {
      this.lost(client, err as Error);
    } finally {
      this.trying = false;
    }
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client) return;
    this.client = null;
    if (this.held && !this.stopped) this.logger.warn(`lost the ${LEASE_JOB} lease (${err.message})`);
    this.set(false);
    client.end().catch(() => {});
  }

  private set(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    for (const listener of this.listeners) listener(held);
  }
}
