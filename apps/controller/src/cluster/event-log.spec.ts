import { describe, expect, it } from 'vitest';
import type { EventLogRepository, StoredEvent } from '../repositories/event-log.repository.js';
import { EventBus } from '../services/event-bus.js';
import type { ClusterChannel } from './cluster-channel.js';
import {
  batchNotes,
  EventLog,
  GAP_WAIT_MS,
  LOST_EVENT_TYPE,
  MAX_BATCH_EVENTS,
  MAX_QUEUED_EVENTS,
  parseBatchNote,
} from './event-log.js';
import type { ReplicaService } from './replica.service.js';

// A log table in memory whose writes can be told to fail or to stall.
class FakeRepo {
  batches: { id: number; replicaId: string; events: StoredEvent[] }[] = [];
  failNext = 0;
  stall: Promise<void> | null = null;
  inFlight = 0;
  maxInFlight = 0;

  async append(replicaId: string, events: readonly StoredEvent[]): Promise<number> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.stall) await this.stall;
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('connection refused');
      }
      const id = this.batches.length + 1;
      this.batches.push({ id, replicaId, events: [...events] });
      return id;
    } finally {
      this.inFlight--;
    }
  }

  async after(afterId: number, limit: number) {
    return this.batches.filter((b) => b.id > afterId).slice(0, limit);
  }

  tails = 0;
  // Like the table: the reader's own batches come without their events.
  async tail(afterId: number, limit: number, replicaId: string) {
    this.tails++;
    const rows = await this.after(afterId, limit);
    return rows.map((b) => ({ ...b, events: b.replicaId === replicaId ? null : b.events }));
  }

  eventsRead = 0;
  async eventsOf(ids: readonly number[]) {
    this.eventsRead += ids.length;
    return new Map(this.batches.filter((b) => ids.includes(b.id)).map((b) => [b.id, b.events]));
  }

  async bounds() {
    return { oldest: null, newest: null, newestCount: 0 };
  }
}

function setup(alone = false) {
  const bus = new EventBus();
  const repo = new FakeRepo();
  const notes: string[] = [];
  const channel = {
    listen: () => () => {},
    onReconnect: () => () => {},
    notify: async (_channel: string, payload: string) => {
      notes.push(payload);
    },
    alone: () => alone,
  } as unknown as ClusterChannel;
  const sut = new EventLog(bus, repo as unknown as EventLogRepository, channel, { id: 'r1' } as ReplicaService);
  const publish = (n: number) =>
    bus.publish({ type: 'container-updated', kind: 'container', hostId: null, data: { n } });
  return { bus, repo, sut, publish, notes };
}

// Polls `done` every millisecond; fails after `ms` (well under the 1 s poll, so it is not what reads).
async function waitUntil(done: () => boolean, ms = 500): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error(`not done within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const numbers = (batches: { events: StoredEvent[] }[]) => batches.flatMap((b) => b.events.map((e) => e.data.n));

describe('EventLog writer', () => {
  it('writes what one synchronous run published as one batch, and what came meanwhile as the next', async () => {
    const { repo, sut, publish, notes } = setup();
    await sut.onModuleInit();
    for (let n = 0; n < 3; n++) publish(n);
    let release!: () => void;
    repo.stall = new Promise((r) => {
      release = r;
    });
    await Promise.resolve();
    // The first batch is being written: everything published now waits for it, then goes together.
    for (let n = 3; n < 7; n++) publish(n);
    repo.stall = null;
    release();
    await sut.flushed();
    expect(repo.batches.map((b) => b.events.length)).toEqual([3, 4]);
    expect(numbers(repo.batches)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(repo.maxInFlight).toBe(1);
    // The tails were told, after the writes (notes of one tick go out as one).
    await new Promise((r) => setImmediate(r));
    expect(notes.length).toBeGreaterThanOrEqual(1);
    await sut.beforeApplicationShutdown();
  });

  it('splits a large backlog into batches of at most MAX_BATCH_EVENTS, in order', async () => {
    const { repo, sut, publish } = setup();
    await sut.onModuleInit();
    for (let n = 0; n < MAX_BATCH_EVENTS * 2 + 5; n++) publish(n);
    await sut.flushed();
    expect(repo.batches.map((b) => b.events.length)).toEqual([MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, 5]);
    expect(numbers(repo.batches).every((n, i) => n === i)).toBe(true);
    await sut.beforeApplicationShutdown();
  });

  it('retries a failed write, keeping the order of what waits behind it', async () => {
    const { repo, sut, publish } = setup();
    await sut.onModuleInit();
    repo.failNext = 2;
    publish(0);
    await new Promise((r) => setTimeout(r, 50));
    publish(1);
    publish(2);
    await sut.flushed();
    expect(numbers(repo.batches)).toEqual([0, 1, 2]);
    expect(repo.failNext).toBe(0);
    await sut.beforeApplicationShutdown();
  });

  it('past MAX_QUEUED_EVENTS drops the oldest waiting events behind one marker that counts them', async () => {
    const { repo, sut, publish } = setup();
    await sut.onModuleInit();
    let release!: () => void;
    repo.stall = new Promise((r) => {
      release = r;
    });
    publish(-1);
    await Promise.resolve();
    // Event -1 is being written (stalled); these wait.
    for (let n = 0; n <= MAX_QUEUED_EVENTS; n++) publish(n);
    repo.stall = null;
    release();
    await sut.flushed();
    const written = repo.batches.flatMap((b) => b.events);
    expect(written[0]!.data.n).toBe(-1);
    const marker = written[1]!;
    expect(marker.type).toBe(LOST_EVENT_TYPE);
    const lost = marker.data.lost as number;
    expect(marker.data.replicaId).toBe('r1');
    expect(sut.dropped).toBe(lost);
    // The newest survive, in order, right after the marker.
    const rest = written.slice(2).map((e) => e.data.n as number);
    expect(rest[0]).toBe(lost);
    expect(rest.at(-1)).toBe(MAX_QUEUED_EVENTS);
    expect(rest.length + lost).toBe(MAX_QUEUED_EVENTS + 1);
    await sut.beforeApplicationShutdown();
  });

  it('hands every event to subscribers with its durable id, and foreign batches to foreign subscribers', async () => {
    const { repo, sut, publish } = setup();
    await sut.onModuleInit();
    const all: number[] = [];
    const foreign: number[] = [];
    sut.subscribe((e) => all.push(e.id));
    sut.subscribeForeign((e) => foreign.push(e.id));
    publish(0);
    publish(1);
    await sut.flushed();
    // The next batch of the log, written here: delivered as written, with no read of the table.
    expect(all).toEqual([1_000_000, 1_000_001]);
    expect(repo.tails).toBe(0);
    repo.batches.push({
      id: 2,
      replicaId: 'r2',
      events: [{ type: 'host-online', kind: 'host', hostId: 'h', at: '', data: {} }],
    });
    await sut.caughtUp();
    expect(all).toEqual([1_000_000, 1_000_001, 2_000_000]);
    expect(foreign).toEqual([2_000_000]);
    expect(sut.latestEventId()).toBe(2_000_000);
    expect(sut.deliveredBatch()).toBe(2);
    // Its own batch came from what it wrote, not read back.
    expect(repo.eventsRead).toBe(0);
    await sut.beforeApplicationShutdown();
  });

  it('alone, delivers what it writes without a note, and reads at once for a batch written in a transaction', async () => {
    const { repo, sut, publish, notes } = setup(true);
    await sut.onModuleInit();
    const all: number[] = [];
    sut.subscribe((e) => all.push(e.id));
    publish(0);
    await sut.flushed();
    await new Promise((r) => setImmediate(r));
    expect(all).toEqual([1_000_000]);
    expect(notes).toEqual([]);
    // The ingest's batch, committed in its own transaction, then announced without its events.
    repo.batches.push({
      id: 2,
      replicaId: 'r1',
      events: [{ type: 'host-online', kind: 'host', hostId: 'h', at: '', data: {} }],
    });
    sut.announce();
    await waitUntil(() => all.length === 2);
    expect(all).toEqual([1_000_000, 2_000_000]);
    expect(notes).toEqual([]);
    await sut.beforeApplicationShutdown();
  });

  it('reads back its own batch when it does not hold it (written before a restart)', async () => {
    const { repo, sut } = setup();
    repo.batches.push({
      id: 1,
      replicaId: 'r1',
      events: [{ type: 'host-online', kind: 'host', hostId: 'h', at: '', data: {} }],
    });
    await sut.onModuleInit();
    const all: number[] = [];
    sut.subscribe((e) => all.push(e.id));
    await sut.caughtUp();
    expect(all).toEqual([1_000_000]);
    expect(repo.eventsRead).toBe(1);
  });
});

describe('EventLog across replicas', () => {
  // Two replicas on one table, their notes delivered to both, as Postgres does.
  const pair = () => {
    const repo = new FakeRepo();
    const listeners: ((payload: string) => void)[] = [];
    const channel = {
      listen: (_: string, handler: (payload: string) => void) => {
        listeners.push(handler);
        return () => {};
      },
      onReconnect: () => () => {},
      notify: async (_: string, payload: string) => {
        for (const l of listeners) l(payload);
      },
      alone: () => false,
    } as unknown as ClusterChannel;
    const make = (id: string) => {
      const bus = new EventBus();
      const log = new EventLog(bus, repo as unknown as EventLogRepository, channel, { id } as ReplicaService);
      const seen: number[] = [];
      log.subscribe((e) => seen.push(e.id));
      const publish = (n: number) =>
        bus.publish({ type: 'container-updated', kind: 'container', hostId: null, data: { n } });
      return { log, seen, publish };
    };
    return { repo, channel, a: make('a'), b: make('b') };
  };
  // The pair, both tails started; stop() shuts both down.
  const started = async () => {
    const p = pair();
    await p.a.log.onModuleInit();
    await p.b.log.onModuleInit();
    const stop = async () => {
      await p.a.log.beforeApplicationShutdown();
      await p.b.log.beforeApplicationShutdown();
    };
    return { ...p, stop };
  };
  // Batch `id` of a third replica, in the table, with one event.
  const third = (id: number) => ({
    id,
    replicaId: 'c',
    events: [{ type: 'host-online', kind: 'host', hostId: `h${id}`, at: '', data: {} }],
  });

  it("delivers another replica's next batch from its note, without reading the table", async () => {
    const { repo, a, b, stop } = await started();
    a.publish(1);
    await a.log.flushed();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(b.seen).toEqual([1_000_000]);
    expect(a.seen).toEqual([1_000_000]);
    expect(repo.tails).toBe(0);
    b.publish(2);
    await b.log.flushed();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(a.seen).toEqual([1_000_000, 2_000_000]);
    expect(repo.tails).toBe(0);
    await stop();
  });

  it('reads the table when a note skips a batch it has not seen', async () => {
    const { repo, a, b, stop } = await started();
    // Batch 1 committed without a note reaching anyone (its note lost); batch 2's note comes.
    repo.batches.push(third(1));
    a.publish(2);
    await a.log.flushed();
    await new Promise((r) => setImmediate(r));
    await b.log.caughtUp();
    expect(b.seen).toEqual([1_000_000, 2_000_000]);
    expect(repo.tails).toBeGreaterThan(0);
    await stop();
  });

  it('delivers batches whose notes arrive out of id order in order, without reading the table', async () => {
    const { repo, channel, a, b, stop } = await started();
    repo.batches.push(third(1), third(2));
    // Batch 2's note first (its replica committed after 1's but notified sooner), then 1's.
    for (const note of batchNotes([third(2)])) await channel.notify('corral_events', note);
    expect(a.seen).toEqual([]);
    for (const note of batchNotes([third(1)])) await channel.notify('corral_events', note);
    expect(a.seen).toEqual([1_000_000, 2_000_000]);
    expect(b.seen).toEqual([1_000_000, 2_000_000]);
    await new Promise((r) => setTimeout(r, GAP_WAIT_MS * 2));
    expect(repo.tails).toBe(0);
    await stop();
  });

  it('reads the table when the note of a missing batch does not come within GAP_WAIT_MS', async () => {
    const { repo, channel, a, b, stop } = await started();
    repo.batches.push(third(1), third(2));
    for (const note of batchNotes([third(2)])) await channel.notify('corral_events', note);
    expect(a.seen).toEqual([]);
    await waitUntil(() => a.seen.length === 2 && b.seen.length === 2);
    expect(a.seen).toEqual([1_000_000, 2_000_000]);
    expect(repo.tails).toBeGreaterThan(0);
    await stop();
  });

  it('splits batch notes to fit a notification, and leaves out the events of a batch too large', () => {
    const event = (n: number) => ({ type: 't', kind: 'host', hostId: null, at: '', data: { pad: 'p'.repeat(n) } });
    const notes = batchNotes([
      { id: 1, replicaId: 'a', events: [event(3_000)] },
      { id: 2, replicaId: 'a', events: [event(3_000)] },
      { id: 3, replicaId: 'a', events: [event(9_000)] },
    ]);
    for (const note of notes) expect(Buffer.byteLength(note)).toBeLessThanOrEqual(7_500);
    const batches = notes.flatMap((n) => parseBatchNote(n)!);
    expect(batches.map(([id]) => id)).toEqual([1, 2, 3]);
    expect(batches[2]![2]).toBeNull();
    expect(parseBatchNote('batch')).toBeNull();
    expect(parseBatchNote('{"b":[[1,"a",{"x":1}]]}')).toBeNull();
  });
});
