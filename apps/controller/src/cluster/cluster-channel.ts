import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import type { DatabaseHandle } from '../app.module.js';
import { channelStatements } from '../repositories/cluster.repository.js';
import { DATABASE, PG_POOL } from '../repositories/tokens.js';
import { REPLICA_STALE_MS, ReplicaService } from './replica.service.js';

// The channels replicas talk on (Postgres LISTEN/NOTIFY; payloads are small JSON texts).
export const CHANNEL = {
  // A batch of events was written: {"id": <batch id>}.
  events: 'corral_events',
  // A command for a host another replica may hold: {"h": host, "c": command, "a": "send" | "cancel"}.
  commands: 'corral_commands',
  // A hello raised a host's connection epoch: {"h": host, "e": epoch, "r": replica}.
  hosts: 'corral_hosts',
  // Create or image policies changed: {"p": "create" | "image"}; every replica reads them again.
  policies: 'corral_policies',
  // A replica began listening ("hello <id>"), or answers one ("here <id>"): see alone().
  replicas: 'corral_replicas',
} as const;
export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

type Handler = (payload: string) => void;

// Parts packed into notes, in order: a part joins the note being filled unless that would take it
// past `maxBytes` (what `size` counts) or `maxParts`; `wrap` writes a note around its parts. A part
// too large for any note is the caller's to shorten first.
export function packNotes<P>(
  parts: readonly P[],
  size: (part: P) => number,
  wrap: (parts: P[]) => string,
  limits: { maxBytes: number; maxParts?: number },
): string[] {
  const notes: string[] = [];
  let note: P[] = [];
  let bytes = 0;
  for (const part of parts) {
    const n = size(part);
    if (
      note.length > 0 &&
      (note.length >= (limits.maxParts ?? Number.POSITIVE_INFINITY) || bytes + n > limits.maxBytes)
    ) {
      notes.push(wrap(note));
      note = [];
      bytes = 0;
    }
    note.push(part);
    bytes += n;
  }
  if (note.length > 0) notes.push(wrap(note));
  return notes;
}

interface OutgoingNote {
  channel: Channel;
  payload: string;
  resolve: () => void;
}

const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5_000;

// One connection of this replica LISTENs on every channel; notifications go out through the pool.
// When the listening connection breaks, it reconnects with backoff and tells `onReconnect`
// handlers, since notifications sent meanwhile are lost: each of them re-reads what it follows.
@Injectable()
export class ClusterChannel implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ClusterChannel.name);
  private readonly handlers = new Map<Channel, Set<Handler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private client: pg.Client | null = null;
  private stopped = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  // When another replica last showed itself by a hello or here note (its fresh Replica row:
  // ReplicaService.lastPeerSeenAt).
  private peerSeenAt = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly replica: ReplicaService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.listen(CHANNEL.replicas, (payload) => this.replicaNoted(payload));
    await this.connect();
  }

  // Whether no other replica has shown itself for REPLICA_STALE_MS. Notes only other replicas read
  // (ended commands for their waiters, event batches this replica delivers to itself when written)
  // are not sent while alone: with one controller that is a statement a command less. A replica
  // that starts says hello as soon as it listens, before it serves anything, and is answered; the
  // Replica table, read with this replica's own row every REPLICA_REFRESH_MS, covers a lost hello.
  alone(): boolean {
    return Date.now() - Math.max(this.peerSeenAt, this.replica.lastPeerSeenAt()) > REPLICA_STALE_MS;
  }

  private replicaNoted(payload: string): void {
    const [word, id] = payload.split(' ');
    if (!id || id === this.replica.id) return;
    this.peerSeenAt = Date.now();
    if (word === 'hello') void this.notify(CHANNEL.replicas, `here ${this.replica.id}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  listen(channel: Channel, handler: Handler): () => void {
    const set = this.handlers.get(channel) ?? new Set();
    set.add(handler);
    this.handlers.set(channel, set);
    return () => set.delete(handler);
  }

  // Called after the listening connection came back: notifications may have been missed.
  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  // Delivered to every replica listening, this one included, after the sender's transaction (none
  // here: at once). Never throws: a lost notification is made good by the readers' own polling.
  // The notes of one turn of the event loop, on any channels, leave in one statement, in the order
  // given (a transaction's notifications arrive in the order it sent them); while one is on its way,
  // the notes made meanwhile wait and leave together in the next. Resolves once its statement ran.
  notify(channel: Channel, payload: string): Promise<void> {
    return new Promise((resolve) => {
      this.outbox.push({ channel, payload, resolve });
      if (!this.sending) {
        this.sending = true;
        setImmediate(() => void this.sendOutbox());
      }
    });
  }

  private outbox: OutgoingNote[] = [];
  private sending = false;

  private async sendOutbox(): Promise<void> {
    while (this.outbox.length > 0) await this.send(this.outbox.splice(0));
    this.sending = false;
  }

  private async send(notes: OutgoingNote[]): Promise<void> {
    try {
      await channelStatements.notifyMany(
        this.pool,
        notes.map((n) => n.channel),
        notes.map((n) => n.payload),
      );
    } catch (err) {
      if (notes.length > 1) {
        // One note Postgres refuses (too long, say) must not cost the others theirs.
        for (const note of notes) await this.send([note]);
        return;
      }
      this.logger.warn(`could not notify ${notes[0]!.channel}: ${(err as Error).message}`);
    } finally {
      for (const note of notes) note.resolve();
    }
  }

  listening(): boolean {
    return this.client !== null;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.database.url,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
    });
    client.on('notification', (msg) => {
      const set = this.handlers.get(msg.channel as Channel);
      if (!set) return;
      for (const handler of set) {
        try {
          handler(msg.payload ?? '');
        } catch (err) {
          this.logger.warn(`handler of ${msg.channel} failed: ${(err as Error).message}`);
        }
      }
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await channelStatements.listen(client, Object.values(CHANNEL));
    } catch (err) {
      await client.end().catch(() => {});
      if (this.client === null && !this.retryTimer) {
        // The first connect is part of the start: fail it loudly; later ones retry.
        if (!this.everConnected) throw err;
        this.scheduleRetry();
      }
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    const again = this.everConnected;
    this.everConnected = true;
    this.client = client;
    this.retryMs = RECONNECT_MIN_MS;
    void this.notify(CHANNEL.replicas, `hello ${this.replica.id}`);
    if (again) {
      this.logger.log('listening for other replicas again');
      for (const handler of this.reconnectHandlers) handler();
    }
  }

  private everConnected = false;

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    this.logger.warn(`lost the listening connection (${err.message}); reconnecting`);
    client.end().catch(() => {});
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(RECONNECT_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch((err: Error) => {
        this.logger.warn(`reconnect failed: ${err.message}`);
        this.scheduleRetry();
      });
    }, wait);
    this.retryTimer.unref();
  }
}
