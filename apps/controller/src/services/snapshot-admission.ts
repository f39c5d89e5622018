// Bounds how many agents send their full snapshot at once. A fleet reconnecting together would
// otherwise have every snapshot parsed and waiting in memory while the batches work through them
// (10,000 hosts of 50 containers is about 2 GiB); agents beyond the limit get their welcome when a
// place frees up, and wait with nothing sent meanwhile (pings keep the connection alive).
export class SnapshotAdmission {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    // A place is given back after this long even if no snapshot came (an agent that never sends one).
    private readonly holdMs = 60_000,
  ) {}

  get inFlight(): number {
    return this.held;
  }

  get queued(): number {
    return this.waiting.length;
  }

  // Resolves with the function that gives the place back (once; later calls do nothing).
  async acquire(): Promise<() => void> {
    if (this.held < this.limit && this.waiting.length === 0) this.held++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    const timer = setTimeout(() => release(), this.holdMs);
    timer.unref();
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      const next = this.waiting.shift();
      // The place goes straight to the next in line.
      if (next) next();
      else this.held--;
    };
    return release;
  }
}
