export interface BatcherOptions<I> {
  // Largest batch handed to `run`.
  maxBatch: number;
  // Batches in flight at once; items arriving meanwhile wait and go together in the next one.
  concurrency: number;
  // Items with a key already in the batch being formed wait for a later batch (at most one per key).
  keyOf?: (item: I) => string;
}

interface Waiting<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

// Turns single calls into batches without adding latency: an idle batcher runs an item at once;
// while batches are in flight, new items queue and leave together when one finishes. Under load
// the batches grow by themselves, like group commit. `run` returns one result per item, in order;
// if it throws, every item of that batch is rejected with the error.
export class Batcher<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions<I>,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  get queued(): number {
    return this.waiting.length;
  }

  private pump(): void {
    while (this.inFlight < this.options.concurrency && this.waiting.length > 0) {
      const batch = this.take();
      this.inFlight++;
      this.execute(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private take(): Waiting<I, O>[] {
    const { maxBatch, keyOf } = this.options;
    if (!keyOf) return this.waiting.splice(0, maxBatch);
    const batch: Waiting<I, O>[] = [];
    const keys = new Set<string>();
    const later: Waiting<I, O>[] = [];
    while (this.waiting.length > 0 && batch.length < maxBatch) {
      const next = this.waiting.shift()!;
      const key = keyOf(next.item);
      if (keys.has(key)) later.push(next);
      else {
        keys.add(key);
        batch.push(next);
      }
    }
    this.waiting.unshift(...later);
    return batch;
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`batch of ${batch.length} returned ${results.length} results`);
      }
      for (const [i, w] of batch.entries()) w.resolve(results[i]!);
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
