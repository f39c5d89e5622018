export interface FrameGateOptions {
  framesPerSecond: number;
  burst: number;
  // Invalid frames within `invalidWindowMs` that close the connection.
  maxInvalid: number;
  invalidWindowMs?: number;
}

// Per-connection limits: a token bucket of frames, and a sliding count of invalid ones.
export class FrameGate {
  private tokens: number;
  private refilledAt: number;
  private invalid: number[] = [];

  constructor(
    private readonly opts: FrameGateOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = opts.burst;
    this.refilledAt = now();
  }

  // Spends one token for a frame that arrived. 0: go on; > 0: stop reading for that many ms;
  // -1: the sender is far past the limit (ten bursts over it, which pausing the socket should
  // never allow): drop the connection.
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.opts.framesPerSecond);
    this.refilledAt = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    if (this.tokens < -this.opts.burst * 10) return -1;
    return Math.ceil(((1 - this.tokens) / this.opts.framesPerSecond) * 1000);
  }

  // Counts an invalid frame; true when there were too many within the window.
  invalidFrame(): boolean {
    const now = this.now();
    const window = this.opts.invalidWindowMs ?? 60_000;
    this.invalid = this.invalid.filter((at) => at > now - window);
    this.invalid.push(now);
    return this.invalid.length >= this.opts.maxInvalid;
  }
}
