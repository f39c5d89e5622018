import { type Delta, type RecordKind, type Snapshot } from '@corral/protocol';
import { Injectable, Logger } from '@nestjs/common';
import { InventoryRepository, type RowChange, type Tx } from '../repositories/inventory.repository.js';
import { EventBus, type NewEvent } from './event-bus.js';
import { inventoryEvent } from './inventory-events.mapper.js';

export type DeltaOutcome =
  | { result: 'applied'; seq: number }
  | { result: 'duplicate'; seq: number; lastSeq: number }
  | { result: 'gap'; seq: number; lastSeq: number };

const SNAPSHOT_KINDS: [RecordKind, keyof Snapshot][] = [
  ['container', 'containers'],
  ['image', 'images'],
  ['volume', 'volumes'],
  ['network', 'networks'],
  ['bridge', 'bridges'],
  ['lease', 'leases'],
];

export class UnknownHostError extends Error {
  constructor(hostId: string) {
    super(`host ${hostId} does not exist`);
  }
}

@Injectable()
export class InventoryService {
  private readonly logger = new Logger(InventoryService.name);

  constructor(
    private readonly repo: InventoryRepository,
    private readonly events: EventBus,
  ) {}

  // A snapshot replaces the host's whole inventory in one transaction; vanished rows are deleted.
  // Events describe only real differences, and go out once the transaction has committed.
  async applySnapshot(hostId: string, snapshot: Snapshot): Promise<void> {
    const started = Date.now();
    const events: NewEvent[] = [];
    await this.repo.transaction(async (tx) => {
      if (!(await this.repo.lockHost(tx, hostId))) throw new UnknownHostError(hostId);
      await this.repo.setFacts(tx, hostId, snapshot.facts);
      for (const [kind, field] of SNAPSHOT_KINDS) {
        // biome-ignore lint/suspicious/noExplicitAny: the pairs above tie each kind to its field
        const records = snapshot[field] as any[];
        // Under the host lock, the diff's removed rows are exactly those whose key vanished.
        const changes = await this.repo.diff(tx, kind, hostId, records, 'all');
        const removed = changes.filter((c) => c.change === 'removed').map((c) => c.key);
        await this.repo.remove(tx, kind, hostId, removed);
        await this.repo.upsert(tx, kind, hostId, records, createdIds(changes));
        for (const change of changes) events.push(inventoryEvent(kind, hostId, change));
      }
      await this.repo.setLastSeq(tx, hostId, snapshot.seq);
    });
    this.publish(events);
    this.logger.debug(`snapshot seq ${snapshot.seq} for host ${hostId} applied in ${Date.now() - started} ms`);
  }

  // Applies a delta once: an old or repeated seq is a duplicate, a skipped seq is a gap (nothing applied).
  async applyDelta(hostId: string, delta: Delta): Promise<DeltaOutcome> {
    const events: NewEvent[] = [];
    const outcome = await this.repo.transaction((tx) => this.applyDeltaIn(tx, hostId, delta, events));
    this.publish(events);
    return outcome;
  }

  private async applyDeltaIn(tx: Tx, hostId: string, delta: Delta, events: NewEvent[]): Promise<DeltaOutcome> {
    const host = await this.repo.lockHost(tx, hostId);
    if (!host) throw new UnknownHostError(hostId);
    if (delta.seq <= host.lastSeq) return { result: 'duplicate', seq: delta.seq, lastSeq: host.lastSeq };
    if (delta.seq !== host.lastSeq + 1) return { result: 'gap', seq: delta.seq, lastSeq: host.lastSeq };
    // Consecutive changes of one kind and op are batched; order across batches is kept.
    let i = 0;
    const changes = delta.changes;
    while (i < changes.length) {
      const first = changes[i]!;
      let j = i + 1;
      while (j < changes.length && changes[j]!.op === first.op && changes[j]!.kind === first.kind) j++;
      const batch = changes.slice(i, j);
      if (first.op === 'remove') {
        const keys = batch.map((c) => (c as { key: string }).key);
        const removed = await this.repo.remove(tx, first.kind, hostId, keys);
        for (const change of removed) events.push(inventoryEvent(first.kind, hostId, change));
      } else if (first.kind === 'facts') {
        const last = batch[batch.length - 1] as { record: Snapshot['facts'] };
        await this.repo.setFacts(tx, hostId, last.record);
      } else {
        const kind = first.kind;
        // biome-ignore lint/suspicious/noExplicitAny: all records of the batch share one kind
        const records = batch.map((c) => (c as { record: any }).record);
        const rows = await this.repo.diff(tx, kind, hostId, records, 'listed');
        await this.repo.upsert(tx, kind, hostId, records, createdIds(rows));
        for (const change of rows) events.push(inventoryEvent(kind, hostId, change));
      }
      i = j;
    }
    await this.repo.setLastSeq(tx, hostId, delta.seq);
    return { result: 'applied', seq: delta.seq };
  }

  private publish(events: NewEvent[]): void {
    for (const event of events) this.events.publish(event);
  }
}

const createdIds = (changes: RowChange[]) =>
  new Map(changes.filter((c) => c.change === 'created').map((c) => [c.key, c.id]));
