import type { Delta } from '@corral/protocol';

// Deltas sent (or waiting to be sent) and not yet acknowledged, in sequence order.
export class Outbox {
  private entries: Delta[] = [];
  overflowed = false;

  constructor(private readonly capacity: number) {}

  push(delta: Delta): void {
    if (this.entries.length >= this.capacity) {
      // Too far behind to replay: a snapshot will have to resync the controller.
      this.entries = [];
      this.overflowed = true;
      return;
    }
    if (!this.overflowed) this.entries.push(delta);
  }

  ack(seq: number): void {
    let i = 0;
    while (i < this.entries.length && this.entries[i]!.seq <= seq) i++;
    if (i > 0) this.entries = this.entries.slice(i);
  }

  // True when the buffered deltas continue exactly from what the controller holds.
  canResumeFrom(controllerSeq: number, lastAssignedSeq: number): boolean {
    if (this.overflowed) return false;
    if (controllerSeq > lastAssignedSeq) return false;
    this.ack(controllerSeq);
    if (this.entries.length === 0) return controllerSeq === lastAssignedSeq;
    return this.entries[0]!.seq === controllerSeq + 1;
  }

  pending(): readonly Delta[] {
    return this.entries;
  }

  reset(): void {
    this.entries = [];
    this.overflowed = false;
  }

  get size(): number {
    return this.entries.length;
  }
}
