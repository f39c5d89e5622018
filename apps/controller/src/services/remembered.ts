// A value read from the database and kept for `ttlMs`, so a burst of requests reads it once; callers
// arriving while a read is in flight share it. forget() after a change made through this process
// makes the next call read again; a change made elsewhere (another controller, SQL) shows within
// `ttlMs`. A read that fails is not kept.
export class Remembered<T> {
  private value: Promise<T> | null = null;
  private until = 0;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    if (this.value && this.now() < this.until) return this.value;
    const value = this.read();
    this.value = value;
    this.until = this.now() + this.ttlMs;
    value.catch(() => {
      if (this.value === value) this.value = null;
    });
    return value;
  }

  // A read in flight when the change was made is not kept either.
  forget(): void {
    this.value = null;
  }
}
