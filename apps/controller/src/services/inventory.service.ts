import { type Delta, type RecordKind, recordKey, type Snapshot } from '@corral/protocol';
import { Injectable, Logger } from '@nestjs/common';
import { InventoryRepository } from '../repositories/inventory.repository.js';

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

  constructor(private readonly repo: InventoryRepository) {}

  // A snapshot replaces the host's whole inventory in one transaction; vanished rows are deleted.
  async applySnapshot(hostId: string, snapshot: Snapshot): Promise<void> {
    const started = Date.now();
    await this.repo.transaction(async (tx) => {
      if (!(await this.repo.lockHost(tx, hostId))) throw new UnknownHostError(hostId);
      await this.repo.setFacts(tx, hostId, snapshot.facts);
      for (const [kind, field] of SNAPSHOT_KINDS) {
        // biome-ignore lint/suspicious/noExplicitAny: the pairs above tie each kind to its field
        const records = snapshot[field] as any[];
        await this.repo.removeExcept(
          tx,
          kind,
          hostId,
          records.map((r) => recordKey(kind, r)),
        );
        await this.repo.upsert(tx, kind, hostId, records);
      }
      await this.repo.setLastSeq(tx, hostId, snapshot.seq);
    });
    this.logger.debug(`snapshot seq ${snapshot.seq} for host ${hostId} applied in ${Date.now() - started} ms`);
  }

  // Applies a delta once: an old or repeated seq is a duplicate, a skipped seq is a gap (nothing applied).
  async applyDelta(hostId: string, delta: Delta): Promise<DeltaOutcome> {
    return this.repo.transaction(async (tx) => {
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
          await this.repo.remove(
            tx,
            first.kind,
            hostId,
            batch.map((c) => (c as { key: string }).key),
          );
        } else if (first.kind === 'facts') {
          const last = batch[batch.length - 1] as { record: Snapshot['facts'] };
          await this.repo.setFacts(tx, hostId, last.record);
        } else {
          await this.repo.upsert(
            tx,
            first.kind,
            hostId,
            // biome-ignore lint/suspicious/noExplicitAny: all records of the batch share one kind
            batch.map((c) => (c as { record: any }).record),
          );
        }
        i = j;
      }
      await this.repo.setLastSeq(tx, hostId, delta.seq);
      return { result: 'applied', seq: delta.seq };
    });
  }
}
