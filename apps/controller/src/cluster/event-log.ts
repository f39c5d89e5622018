import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Db } from '../database/kysely.js';
import {
  type BatchRow,
  EventLogRepository,
  type StoredEvent,
  type TailRow,
} from '../repositories/event-log.repository.js';
import { type CorralEvent, EventBus, type EventKind, isLogged, type NewEvent } from '../services/event-bus.js';
import { eventId } from '../services/event-replay.js';
import { CHANNEL, ClusterChannel, packNotes } from './cluster-channel.js';
import { ReplicaService } from './replica.service.js';

// Events per batch row at most; a larger backlog goes out as several batches, in order.
export const MAX_BATCH_EVENTS = 20_000;
// Events waiting to be written at most; past it (the database is away) the oldest are dropped.
export const MAX_QUEUED_EVENTS = 200_000;
// Batches read per query by the tail and by replays.
export const READ_PAGE = 200;
export const POLL_MS = 1_000;
// The shortest time between two batches this replica writes (see flush).
export const WRITE_INTERVAL_MS = 10;
// How long batches noted past a gap wait for the missing batch's note before the table is read:
// replicas send their notes after their own commits, so two replicas' notes can arrive out of id
// order, the missing one a few milliseconds later.
export const GAP_WAIT_MS = 20;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
// How long a stopping controller tries to write what it still holds.
const SHUTDOWN_FLUSH_MS = 5_000;

// The marker of events a replica dropped before writing them: streams answer it with a reset.
export const LOST_EVENT_TYPE = 'events-lost';

type Listener = (event: CorralEvent) => void;

// The fleet's events, durable in Postgres (table EventBatch), in one order for every replica.
// Writer: every event published on this process's bus is queued and written in batches, one batch
// at a time, so this replica's order is kept. Tail: each replica follows the table (a notification
// per batch, a poll as a safety net) and hands every event, with its durable id, to the feed's
// subscribers (the event streams; the scheduler index for batches of other replicas).
@Injectable()
export class EventLog implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('EventLog');
  // Writer side.
  private queue: StoredEvent[] = [];
  private flushing: Promise<void> | null = null;
  private retryMs = RETRY_MIN_MS;
  private closing = false;
  // Tail side: the newest batch delivered, and the id of its last event.
  private position = 0;
  private latest = 0;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly foreignListeners = new Set<Listener>();
  private readonly unsubscribe: (() => void)[] = [];
  // Batches this replica wrote and its tail has not delivered yet: the tail reads their rows
  // without the events, rather than have Postgres send back and Node parse what it just wrote.
  private readonly own = new Map<number, StoredEvent[]>();
  // Batches known (from notes, or written here) past the position, waiting for the batches before them.
  private readonly early = new Map<number, BatchRow>();
  private gapTimer: NodeJS.Timeout | null = null;
  // Counters for tests and the log.
  written = 0;
  dropped = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly repo: EventLogRepository,
    private readonly channel: ClusterChannel,
    private readonly replica: ReplicaService,
  ) {}

  async onModuleInit(): Promise<void> {
    // New streams start at 'now': the newest batch when this replica starts.
    const bounds = await this.repo.bounds();
    if (bounds.newest !== null) {
      this.position = bounds.newest;
      this.latest = eventId(bounds.newest, Math.max(0, bounds.newestCount - 1));
    }
    this.unsubscribe.push(
      this.bus.subscribe((event) => this.append(event)),
      this.channel.listen(CHANNEL.events, (payload) => this.noted(payload)),
      this.channel.onReconnect(() => this.catchUp()),
    );
    this.timer = setInterval(() => this.catchUp(), POLL_MS);
    this.timer.unref();
  }

  // Writes what is still queued (a few seconds at most) before the pool closes.
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.timer) clearInterval(this.timer);
    this.wake?.();
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    while (this.flushing && Date.now() < deadline) await this.flushing;
    if (this.queue.length > 0) {
      this.logger.error(`stopping with ${this.queue.length} events not written to the event log; they are lost`);
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.gapTimer) clearTimeout(this.gapTimer);
  }

  // Every event of every replica, in the log's order, with its durable id.
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Events of batches another replica wrote (what this process's bus never carried).
  subscribeForeign(listener: Listener): () => void {
    this.foreignListeners.add(listener);
    return () => this.foreignListeners.delete(listener);
  }

  subscriberCount(): number {
    return this.listeners.size;
  }

  // The newest batch delivered to subscribers, and the id of its last event (0: none yet).
  deliveredBatch(): number {
    return this.position;
  }

  latestEventId(): number {
    return this.latest;
  }

  bounds() {
    return this.repo.bounds();
  }

  // Events of the batches from `fromBatch` through `untilBatch`, a page of batches at a time.
  async *read(fromBatch: number, untilBatch: number, pageBatches = 20): AsyncGenerator<CorralEvent[]> {
    let after = fromBatch - 1;
    for (;;) {
      const rows = await this.repo.after(after, pageBatches, untilBatch);
      for (const row of rows) yield toEvents(row);
      if (rows.length < pageBatches) return;
      after = rows.at(-1)!.id;
    }
  }

  // Called on a notification, a poll, a reconnect: reads every batch after the position.
  catchUp(): void {
    if (this.stopped || this.closing) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.readAgain = false;
    this.reading = this.readNew()
      .catch((err: Error) => {
        if (!this.closing) this.logger.warn(`could not read the event log: ${err.message}`);
      })
      .finally(() => {
        this.reading = null;
        if (this.readAgain) this.catchUp();
        else this.deliverEarly();
      });
  }

  // Resolves once every batch committed before the call was delivered (tests, and whoever needs it).
  async caughtUp(): Promise<void> {
    while (this.reading) await this.reading;
    this.catchUp();
    while (this.reading) await this.reading;
  }

  // Resolves once every event queued so far is written (or given up on at shutdown).
  async flushed(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const rows = await this.repo.tail(this.position, READ_PAGE, this.replica.id);
      // Own batches whose write has not returned yet (the notification came first), or from before a restart.
      const missing = rows.filter((r) => r.events === null && !this.own.has(r.id)).map((r) => r.id);
      const fetched = missing.length > 0 ? await this.repo.eventsOf(missing) : null;
      for (const row of rows) this.deliver(this.complete(row, fetched));
      if (rows.length < READ_PAGE || this.stopped) return;
    }
  }

  private complete(row: TailRow, fetched: Map<number, StoredEvent[]> | null): BatchRow {
    if (row.events !== null) return row as BatchRow;
    const events = this.own.get(row.id) ?? fetched?.get(row.id) ?? [];
    this.own.delete(row.id);
    return { ...row, events };
  }

  private deliver(row: BatchRow): void {
    this.position = row.id;
    const foreign = row.replicaId !== this.replica.id;
    for (const event of toEvents(row)) {
      this.latest = event.id;
      for (const listener of this.listeners) this.call(listener, event);
      if (foreign) for (const listener of this.foreignListeners) this.call(listener, event);
    }
  }

  private call(listener: Listener, event: CorralEvent): void {
    try {
      listener(event);
    } catch (err) {
      this.logger.warn(`an event log subscriber failed on event ${event.id}: ${(err as Error).message}`);
    }
  }

  // The events of a change, written in the transaction that makes it (the ingest's), so a process
  // killed right after the commit cannot lose them. Everything this replica published before is
  // written first (waited for here, before the batch takes the writers' lock), so each host's events
  // keep their order. Publish them afterwards with `logged`.
  async appendWithin(db: Db, events: readonly NewEvent[]): Promise<number | null> {
    if (events.length === 0) return null;
    await this.writtenThrough(this.enqueued);
    const at = new Date().toISOString();
    const stored = events.map((e) => ({ type: e.type, kind: e.kind, hostId: e.hostId, at, data: e.data }));
    let id = 0;
    for (let i = 0; i < stored.length; i += MAX_BATCH_EVENTS) {
      id = await this.repo.appendIn(db, this.replica.id, stored.slice(i, i + MAX_BATCH_EVENTS));
    }
    return id;
  }

  // Tells every replica's tail (this one's too) that batches were committed: a notification of its
  // own, outside the batch's transaction (see eventLogQueries.append). Those written in a short
  // while go out together. A batch given here travels in the note with its events when they fit
  // (`{"b": [[id, replica, events], ...]}`), so a tail at the batch before it delivers it without
  // reading the table; without a batch (the ingest's, written in its own transaction) the note
  // says `batch` and the tails read. A lost note is made good by the tails' 1 s poll.
  announce(batch?: BatchRow): void {
    // Alone, no other tail is waiting: this one delivered its own batch when it was written, and
    // reads at once for a batch written in another's transaction (the ingest's).
    if (this.channel.alone()) {
      if (!batch) this.catchUp();
      return;
    }
    if (batch) this.announced.push(batch);
    else this.announcedUnknown = true;
    if (this.announcing) return;
    this.announcing = true;
    setImmediate(() => {
      this.announcing = false;
      const batches = this.announced;
      this.announced = [];
      const unknown = this.announcedUnknown;
      this.announcedUnknown = false;
      for (const note of batchNotes(batches)) void this.channel.notify(CHANNEL.events, note);
      if (unknown) void this.channel.notify(CHANNEL.events, 'batch');
    });
  }

  private announcing = false;
  private announced: BatchRow[] = [];
  private announcedUnknown = false;

  // A note on the events channel: the batches it carries are delivered in id order as soon as the
  // batches before them are (see deliverEarly); a batch without its events (too large for a note,
  // and not this replica's) or a note that does not parse makes the tail read the table.
  private noted(payload: string): void {
    if (this.stopped || this.closing) return;
    const batches = parseBatchNote(payload);
    if (!batches) {
      this.catchUp();
      return;
    }
    for (const [id, replicaId, events] of batches) {
      if (id <= this.position) continue;
      const held = events ?? (replicaId === this.replica.id ? (this.own.get(id) ?? null) : null);
      if (held === null) {
        this.catchUp();
        return;
      }
      this.early.set(id, { id, replicaId, events: held });
    }
    this.deliverEarly();
  }

  // Delivers the batches held past the position while each is the next of the log (never during a
  // read, whose end calls this again). Batches still past a gap wait up to GAP_WAIT_MS for the
  // missing batch's note; then the table is read.
  private deliverEarly(): void {
    if (this.reading || this.stopped) return;
    for (let next = this.early.get(this.position + 1); next; next = this.early.get(this.position + 1)) {
      this.early.delete(next.id);
      this.own.delete(next.id);
      this.deliver(next);
    }
    for (const id of this.early.keys()) if (id <= this.position) this.early.delete(id);
    if (this.early.size === 0) {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = null;
      return;
    }
    this.gapTimer ??= setTimeout(() => {
      this.gapTimer = null;
      if (this.early.size > 0) this.catchUp();
    }, GAP_WAIT_MS);
  }

  // Events handed to the writer so far, and those of them written (or given up on).
  private enqueued = 0;
  private done = 0;
  private doneWaiters: { upTo: number; resolve: () => void }[] = [];

  private writtenThrough(upTo: number): Promise<void> {
    if (this.done >= upTo) return Promise.resolve();
    this.wake?.();
    return new Promise((resolve) => this.doneWaiters.push({ upTo, resolve }));
  }

  private advance(count: number): void {
    this.done += count;
    if (this.doneWaiters.length === 0) return;
    const still: typeof this.doneWaiters = [];
    for (const w of this.doneWaiters) this.done >= w.upTo ? w.resolve() : still.push(w);
    this.doneWaiters = still;
  }

  private append(event: CorralEvent): void {
    if (isLogged(event)) return;
    this.enqueued++;
    this.queue.push({ type: event.type, kind: event.kind, hostId: event.hostId, at: event.at, data: event.data });
    if (this.queue.length > MAX_QUEUED_EVENTS) this.dropOldest(event.at);
    // Started after the publishing code's synchronous run, so the events it published go together.
    if (!this.flushing) this.flushing = Promise.resolve().then(() => this.flush());
  }

  // The database has been away for long: the oldest queued events go (down to 90% of the bound, so
  // this runs seldom), replaced by one marker that makes every stream reading past it reset (its
  // clients list the inventory again).
  private dropOldest(at: string): void {
    const front = this.queue[0]!;
    const marker: StoredEvent =
      front.type === LOST_EVENT_TYPE ? front : { type: LOST_EVENT_TYPE, kind: 'host', hostId: null, at, data: {} };
    const start = marker === front ? 1 : 0;
    const remove = this.queue.length - Math.floor(MAX_QUEUED_EVENTS * 0.9) + (start === 0 ? 1 : 0);
    this.queue.splice(start, remove);
    // The dropped ones are as done as they will ever be.
    this.advance(remove);
    if (start === 0) this.queue.unshift(marker);
    marker.data = { lost: ((marker.data.lost as number | undefined) ?? 0) + remove, replicaId: this.replica.id };
    this.dropped += remove;
    this.logger.error(
      `the event log cannot be written: dropped the oldest ${remove} queued events (${this.dropped} in all); streams reading past them reset`,
    );
  }

  // Batches leave at most every WRITE_INTERVAL_MS: the first event after a quiet spell at once,
  // under a stream of changes the events of each interval together (one append and one note
  // instead of one per turn of the event loop). Nobody is kept waiting for it: an ingest waiting
  // for what was published before it (appendWithin), a shutdown.
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const wait = this.lastWriteAt + WRITE_INTERVAL_MS - performance.now();
        if (wait > 0 && !this.closing && this.doneWaiters.length === 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              this.wake = null;
              resolve();
            }, wait);
            this.wake = () => {
              clearTimeout(timer);
              this.wake = null;
              resolve();
            };
          });
        }
        const batch = this.queue.splice(0, MAX_BATCH_EVENTS);
        this.lastWriteAt = performance.now();
        await this.write(batch);
      }
    } finally {
      this.flushing = null;
    }
  }

  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private wake: (() => void) | null = null;

  // One batch, retried with backoff until it is written; at shutdown, given up on after the deadline.
  private async write(batch: StoredEvent[]): Promise<void> {
    const giveUpAt = Date.now() + SHUTDOWN_FLUSH_MS;
    for (;;) {
      try {
        const id = await this.repo.append(this.replica.id, batch);
        if (id > this.position) {
          // Every batch below it is committed (ids are drawn under the writers' lock, in commit
          // order): delivered from here, without reading it back, as soon as those are.
          this.own.set(id, batch);
          this.early.set(id, { id, replicaId: this.replica.id, events: batch });
          this.deliverEarly();
        }
        this.announce({ id, replicaId: this.replica.id, events: batch });
        this.written += batch.length;
        this.advance(batch.filter((e) => e.type !== LOST_EVENT_TYPE).length);
        this.retryMs = RETRY_MIN_MS;
        return;
      } catch (err) {
        if (this.stopped || (this.closing && Date.now() > giveUpAt)) {
          this.logger.error(`${batch.length} events not written to the event log: ${(err as Error).message}`);
          this.advance(batch.filter((e) => e.type !== LOST_EVENT_TYPE).length);
          return;
        }
        this.logger.warn(
          `could not write ${batch.length} events to the event log (${(err as Error).message}); retrying in ${this.retryMs} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, this.retryMs));
        this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
      }
    }
  }
}

// A notification holds at most 8,000 bytes.
const BATCH_NOTE_MAX_BYTES = 7_500;

type NotedBatch = [id: number, replicaId: string, events: StoredEvent[] | null];

// Notes for these batches, in order: each with its events when they fit, else by id alone.
export function batchNotes(batches: readonly BatchRow[]): string[] {
  const parts = batches.map((b) => {
    const part = JSON.stringify([b.id, b.replicaId, b.events]);
    return Buffer.byteLength(part) > BATCH_NOTE_MAX_BYTES - 20 ? JSON.stringify([b.id, b.replicaId, null]) : part;
  });
  return packNotes(
    parts,
    (part) => Buffer.byteLength(part) + 1,
    (note) => `{"b":[${note.join(',')}]}`,
    { maxBytes: BATCH_NOTE_MAX_BYTES - 20 },
  );
}

// The batches a note carries, or null when it carries none that can be trusted (read the table).
export function parseBatchNote(payload: string): NotedBatch[] | null {
  if (!payload.startsWith('{"b":')) return null;
  let note: { b?: unknown };
  try {
    note = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!Array.isArray(note.b)) return null;
  const out: NotedBatch[] = [];
  for (const entry of note.b) {
    if (!Array.isArray(entry) || entry.length !== 3) return null;
    const [id, replicaId, events] = entry as unknown[];
    if (!Number.isSafeInteger(id) || typeof replicaId !== 'string') return null;
    if (events !== null && !Array.isArray(events)) return null;
    out.push([id as number, replicaId, events as StoredEvent[] | null]);
  }
  return out;
}

function toEvents(row: BatchRow): CorralEvent[] {
  return row.events.map((s, i) => ({
    id: eventId(row.id, i),
    type: s.type,
    kind: s.kind as EventKind,
    hostId: s.hostId,
    at: s.at,
    data: s.data,
  }));
}
