import { performance } from 'node:perf_hooks';
import { type Delta, type HostFacts, KIND_SPECS, type RecordKind, recordKey, type Snapshot } from '@corral/protocol';
import { Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import { EventLog } from '../cluster/event-log.js';
import { isRefusedByDb, isRetryableDbError } from '../database/db-errors.js';
import type { Tx } from '../database/transaction.js';
import {
  type HostChange,
  type HostWrite,
  InventoryRepository,
  type KindWrite,
} from '../repositories/inventory.repository.js';
import { VolumeUseRepository } from '../repositories/volume-use.repository.js';
import { EventBus, type NewEvent } from './event-bus.js';
import { inventoryEvent } from './inventory-events.mapper.js';
import { MetricsService } from './metrics.service.js';
import { SchedulerIndexService } from './scheduler-index.service.js';
import { mergeVolumeUses, type VolumeUseInput, volumeUsesOf } from './volume-guard.js';

export type DeltaOutcome =
  | { result: 'applied'; seq: number }
  | { result: 'duplicate'; seq: number; lastSeq: number }
  | { result: 'gap'; seq: number; lastSeq: number };

// Each kind and the snapshot field that carries it, from the kind registry.
const SNAPSHOT_KINDS = KIND_SPECS.map((spec): [RecordKind, keyof Snapshot] => [
  spec.kind,
  spec.plural as keyof Snapshot,
]);
const KINDS = SNAPSHOT_KINDS.map(([kind]) => kind);

// Group commit: frames waiting from every session are applied together, one transaction per batch.
const BATCH_FRAMES = 200;
const BATCH_ROWS = 20_000;
// How long a free applier waits for more frames before it takes what is there.
const LINGER_MS = 5;
// Batches applied at once (each on its own connection; hosts are locked in id order).
const APPLIERS = 2;
// Deadlocks and serialization failures are retried as a whole before the batch is split up.
const BATCH_RETRIES = 2;
// A volume use seen again within this long is not written again (its lastUsedAt may lag by as much).
const VOLUME_USE_REFRESH_MS = 60_000;
const VOLUME_USE_CACHE = 200_000;

export class UnknownHostError extends Error {
  constructor(hostId: string) {
    super(`host ${hostId} does not exist`);
  }
}

// A frame from a connection that is no longer the host's: another hello raised its epoch.
export class SupersededConnectionError extends Error {
  constructor(
    readonly hostId: string,
    readonly epoch: number,
  ) {
    super(`connection epoch ${epoch} of host ${hostId} was superseded by a newer connection`);
  }
}

class ShuttingDownError extends Error {
  constructor() {
    super('controller is shutting down');
  }
}

type Frame = { type: 'snapshot'; snapshot: Snapshot } | { type: 'delta'; delta: Delta };

const carriesFacts = (frame: Frame): boolean =>
  frame.type === 'snapshot' ? (frame.snapshot.facts ?? null) !== null : lastFacts(frame.delta.changes) !== null;
type Outcome = DeltaOutcome | { result: 'snapshot' };

interface Pending {
  hostId: string;
  // The connection epoch of the session it came from: applied only while it is the host's (null: no check).
  epoch: number | null;
  frame: Frame;
  rows: number;
  // A delta naming one record more than once is applied in steps, alone in its batch.
  steps: Delta['changes'][] | null;
  resolve(outcome: Outcome): void;
  reject(err: unknown): void;
}

interface Applied {
  pending: Pending;
  outcome: Outcome | Error;
  events: NewEvent[];
}

@Injectable()
export class InventoryService implements OnModuleDestroy {
  private readonly logger = new Logger(InventoryService.name);
  private queue: Pending[] = [];
  private queuedSince = 0;
  // Hosts with a frame in a batch being applied: their later frames wait, so each host's frames stay in order.
  private readonly busyHosts = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  // Volume uses written lately (by host, volume, family, image and containers), with when: a use seen
  // again within VOLUME_USE_REFRESH_MS is not written again, so churn costs no write per change.
  private readonly recentUses = new Map<string, number>();

  constructor(
    private readonly repo: InventoryRepository,
    private readonly events: EventBus,
    private readonly scheduler: SchedulerIndexService,
    private readonly volumeUses: VolumeUseRepository,
    private readonly metrics: MetricsService,
    // The fleet's event log: this ingest's events are written in its transaction.
    @Optional() eventLog?: EventLog,
  ) {
    this.eventLog = eventLog ?? null;
  }

  private readonly eventLog: EventLog | null;

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    for (const pending of this.queue.splice(0)) pending.reject(new ShuttingDownError());
    await Promise.allSettled([...this.running]);
  }

  // A snapshot replaces the host's whole inventory; vanished rows are deleted. Events describe only
  // real differences, and go out once the transaction has committed.
  async applySnapshot(hostId: string, snapshot: Snapshot, epoch: number | null = null): Promise<void> {
    // A kind newer than the agent (findings) may be absent: it has no rows then.
    const rows = SNAPSHOT_KINDS.reduce(
      (n, [, field]) => n + ((snapshot[field] as unknown[] | undefined)?.length ?? 0),
      0,
    );
    await this.submit(hostId, epoch, { type: 'snapshot', snapshot }, rows, null);
  }

  // Applies a delta once: an old or repeated seq is a duplicate, a skipped seq is a gap (nothing applied).
  async applyDelta(hostId: string, delta: Delta, epoch: number | null = null): Promise<DeltaOutcome> {
    const frame: Frame = { type: 'delta', delta };
    return (await this.submit(hostId, epoch, frame, delta.changes.length, steps(delta))) as DeltaOutcome;
  }

  private submit(
    hostId: string,
    epoch: number | null,
    frame: Frame,
    rows: number,
    steps: Pending['steps'],
  ): Promise<Outcome> {
    if (this.closing) return Promise.reject(new ShuttingDownError());
    return new Promise<Outcome>((resolve, reject) => {
      if (this.queue.length === 0) this.queuedSince = Date.now();
      this.queue.push({ hostId, epoch, frame, rows, steps, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    while (this.running.size < APPLIERS && this.queue.length > 0 && !this.closing) {
      const waited = Date.now() - this.queuedSince;
      if (waited < LINGER_MS && this.queue.length < BATCH_FRAMES && this.running.size > 0) {
        this.timer ??= setTimeout(() => {
          this.timer = null;
          this.schedule();
        }, LINGER_MS - waited);
        return;
      }
      const batch = this.take();
      if (batch.length === 0) return;
      const run = this.apply(batch).finally(() => {
        for (const p of batch) this.busyHosts.delete(p.hostId);
        this.running.delete(run);
        this.schedule();
      });
      this.running.add(run);
    }
  }

  // The oldest waiting frames, at most one per host and none of a host already being applied.
  private take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const skipped = new Set<string>();
    let rows = 0;
    for (const p of this.queue) {
      const full = batch.length >= BATCH_FRAMES || rows >= BATCH_ROWS;
      const alone = p.steps !== null || batch[0]?.steps;
      if (full || skipped.has(p.hostId) || this.busyHosts.has(p.hostId) || (alone && batch.length > 0)) {
        skipped.add(p.hostId);
        rest.push(p);
        continue;
      }
      batch.push(p);
      rows += p.rows;
      this.busyHosts.add(p.hostId);
      skipped.add(p.hostId);
    }
    this.queue = rest;
    this.queuedSince = Date.now();
    return batch;
  }

  private async apply(batch: Pending[]): Promise<void> {
    const started = performance.now();
    const took = () => (performance.now() - started) / 1000;
    let results: Applied[] | null = null;
    let failure: unknown = null;
    for (let attempt = 0; attempt <= BATCH_RETRIES && !results; attempt++) {
      try {
        results = await this.repo.transaction((tx) => this.applyIn(tx, batch));
      } catch (err) {
        failure = err;
        // Uses marked as written in a transaction that rolled back must be written again.
        this.recentUses.clear();
        if (!isRetryableDbError(err)) break;
      }
    }
    if (!results) {
      if (batch.length === 1 || !isRefusedByDb(failure)) {
        this.metrics.ingestBatchApplied(took(), batch.length, 'failed');
        for (const p of batch) p.reject(failure);
        return;
      }
      // One frame's data failed the batch: apply each on its own, so only that host fails.
      this.logger.warn(`batch of ${batch.length} frames failed (${(failure as Error).message}); applying one by one`);
      results = [];
      for (const p of batch) {
        try {
          results.push(...(await this.repo.transaction((tx) => this.applyIn(tx, [p]))));
        } catch (err) {
          this.recentUses.clear();
          results.push({ pending: p, outcome: err as Error, events: [] });
        }
      }
      this.metrics.ingestBatchApplied(took(), batch.length, 'split');
    } else {
      this.metrics.ingestBatchApplied(took(), batch.length, 'ok');
    }
    // The batch's events were written in its transaction, now committed: the tails may read them.
    if (results.some((r) => !(r.outcome instanceof Error) && r.events.length > 0)) this.eventLog?.announce();
    for (const r of results) {
      if (r.outcome instanceof Error) {
        r.pending.reject(r.outcome);
        continue;
      }
      for (const event of r.events) this.events.publish(event, this.eventLog !== null);
      // Facts carry the host's capacity and runtimes: the scheduling index reads the host again.
      if (carriesFacts(r.pending.frame)) this.scheduler.hostChanged(r.pending.hostId);
      r.pending.resolve(r.outcome);
    }
  }

  // Everything of one batch inside its transaction; events are returned, to be published after commit.
  private async applyIn(tx: Tx, batch: Pending[]): Promise<Applied[]> {
    const locked = await this.repo.lockHosts(
      tx,
      batch.map((p) => p.hostId),
    );
    const lastSeq = new Map([...locked].map(([id, h]) => [id, h.lastSeq]));
    const results: Applied[] = [];
    const writing: { applied: Applied; steps: Delta['changes'][] }[] = [];
    const hosts: HostWrite[] = [];
    for (const pending of batch) {
      const applied: Applied = { pending, outcome: { result: 'snapshot' }, events: [] };
      results.push(applied);
      const last = lastSeq.get(pending.hostId);
      if (last === undefined) {
        applied.outcome = new UnknownHostError(pending.hostId);
        continue;
      }
      // A newer connection of the host (on any replica) said hello since: this one's frames are void.
      if (pending.epoch !== null && locked.get(pending.hostId)!.epoch !== pending.epoch) {
        applied.outcome = new SupersededConnectionError(pending.hostId, pending.epoch);
        continue;
      }
      const { frame } = pending;
      if (frame.type === 'snapshot') {
        writing.push({ applied, steps: [] });
        hosts.push({ id: pending.hostId, lastSeq: frame.snapshot.seq, facts: frame.snapshot.facts });
        continue;
      }
      const { seq } = frame.delta;
      if (seq <= last) {
        applied.outcome = { result: 'duplicate', seq, lastSeq: last };
      } else if (seq !== last + 1) {
        applied.outcome = { result: 'gap', seq, lastSeq: last };
      } else {
        applied.outcome = { result: 'applied', seq };
        writing.push({ applied, steps: pending.steps ?? [frame.delta.changes] });
        hosts.push({ id: pending.hostId, lastSeq: seq, facts: lastFacts(frame.delta.changes) });
      }
    }
    // First snapshots of hosts that hold no rows (never applied anything, checked under the lock)
    // need no comparison with stored rows: they are copied in.
    const firsts = writing
      .filter(({ applied: { pending } }) => pending.frame.type === 'snapshot' && lastSeq.get(pending.hostId) === 0)
      .map(({ applied }) => applied.pending.hostId);
    const holding = await this.repo.hostsWithRows(tx, firsts);
    const fresh = new Set(firsts.filter((id) => !holding.has(id)));
    const rounds = Math.max(1, ...writing.map((w) => w.steps.length));
    for (let round = 0; round < rounds; round++) {
      const writes = new Map<RecordKind, KindWrite>(
        KINDS.map((kind) => [kind, { kind, replace: [], rows: [], remove: [] }]),
      );
      const copies = new Map<RecordKind, KindWrite['rows']>(KINDS.map((kind) => [kind, []]));
      for (const { applied, steps } of writing) {
        const { hostId, frame } = applied.pending;
        if (frame.type === 'snapshot') {
          if (round > 0) continue;
          for (const [kind, field] of SNAPSHOT_KINDS) {
            const w = writes.get(kind)!;
            const rows = fresh.has(hostId) ? copies.get(kind)! : w.rows;
            if (!fresh.has(hostId)) w.replace.push(hostId);
            for (const record of (frame.snapshot[field] ?? []) as never[]) rows.push({ hostId, record });
          }
          continue;
        }
        for (const change of steps[round] ?? []) {
          if (change.kind === 'facts') continue;
          const w = writes.get(change.kind)!;
          if (change.op === 'remove') w.remove.push({ hostId, key: change.key });
          else w.rows.push({ hostId, record: change.record as never });
        }
      }
      const changes = new Map<string, HostChange>();
      const byHostKind = new Map<string, HostChange[]>();
      for (const w of writes.values()) {
        const written = [
          ...(await this.repo.write(tx, w)),
          ...(await this.repo.insertFresh(tx, w.kind, copies.get(w.kind)!)),
        ];
        for (const change of written) {
          changes.set(changeKey(w.kind, change.hostId, change.key), change);
          const list = byHostKind.get(`${w.kind}\u0000${change.hostId}`);
          if (list) list.push(change);
          else byHostKind.set(`${w.kind}\u0000${change.hostId}`, [change]);
        }
      }
      for (const { applied, steps } of writing) {
        const { hostId, frame } = applied.pending;
        if (frame.type === 'snapshot') {
          if (round > 0) continue;
          for (const kind of KINDS) {
            for (const change of byHostKind.get(`${kind}\u0000${hostId}`) ?? []) {
              applied.events.push(inventoryEvent(kind, hostId, change));
            }
          }
          continue;
        }
        // In the order the delta names its records, one event per row that really changed.
        for (const change of steps[round] ?? []) {
          if (change.kind === 'facts') continue;
          const key = changeKey(change.kind, hostId, change.op === 'remove' ? change.key : recordKeyOf(change));
          const row = changes.get(key);
          if (!row) continue;
          changes.delete(key);
          applied.events.push(inventoryEvent(change.kind, hostId, row));
        }
      }
    }
    await this.volumeUses.record(tx, this.newVolumeUses(writing.map((w) => w.applied.pending)), new Date());
    await this.repo.updateHosts(tx, hosts);
    // Last, so the event log's lock is held only until the commit: the events go in with the rows.
    await this.eventLog?.appendWithin(
      tx.db,
      results.flatMap((r) => (r.outcome instanceof Error ? [] : r.events)),
    );
    return results;
  }

  private newVolumeUses(pending: Pending[]): VolumeUseInput[] {
    const now = Date.now();
    if (this.recentUses.size > VOLUME_USE_CACHE) this.recentUses.clear();
    return volumeUsesIn(pending).filter((u) => {
      const key = [u.hostId, u.volume, u.family, u.imageId, ...u.containers].join('\u0000');
      const seen = this.recentUses.get(key);
      if (seen !== undefined && now - seen < VOLUME_USE_REFRESH_MS) return false;
      this.recentUses.set(key, now);
      return true;
    });
  }
}

// The volume guard's history is kept from what the agents report: every Docker container seen with
// named volumes records its image family's use of them.
function volumeUsesIn(pending: Pending[]): VolumeUseInput[] {
  const uses: VolumeUseInput[] = [];
  for (const { hostId, frame } of pending) {
    if (frame.type === 'snapshot') {
      for (const c of frame.snapshot.containers) uses.push(...volumeUsesOf(hostId, c));
      continue;
    }
    for (const change of frame.delta.changes) {
      if (change.op === 'upsert' && change.kind === 'container') uses.push(...volumeUsesOf(hostId, change.record));
    }
  }
  return mergeVolumeUses(uses);
}

const changeKey = (kind: RecordKind, hostId: string, key: string) => `${kind}\u0000${hostId}\u0000${key}`;

function recordKeyOf(change: Delta['changes'][number]): string {
  // biome-ignore lint/suspicious/noExplicitAny: an upsert's record matches its kind
  return recordKey(change.kind as RecordKind, (change as { record: any }).record);
}

function lastFacts(changes: Delta['changes']): HostFacts | null {
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!;
    if (c.kind === 'facts' && c.op === 'upsert') return (c as { record: HostFacts }).record;
  }
  return null;
}

// A delta whose records are all distinct is applied in one step; one naming a record again is cut
// into steps before each repeat, so every change is seen (and evented) in its order.
function steps(delta: Delta): Delta['changes'][] | null {
  const seen = new Set<string>();
  const out: Delta['changes'][] = [[]];
  for (const change of delta.changes) {
    if (change.kind === 'facts') {
      out[out.length - 1]!.push(change);
      continue;
    }
    const key = `${change.kind}\u0000${change.op === 'remove' ? change.key : recordKeyOf(change)}`;
    if (seen.has(key)) {
      out.push([]);
      seen.clear();
    }
    seen.add(key);
    out[out.length - 1]!.push(change);
  }
  return out.length > 1 ? out : null;
}
