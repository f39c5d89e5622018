import { type Summary, summarize, summarizeWithFailures } from './stats.js';

// How one request ended: ok, answered with anything else (an HTTP error, or a wrong answer),
// or answered before the work it asked for had finished (a ?wait= that ran out).
export type Outcome = { kind: 'ok' } | { kind: 'error'; message: string } | { kind: 'unfinished' };

export interface OpenLoopParams {
  perSecond: number;
  seconds: number;
  // Requests in flight at most; one that is due while the cap is reached is dropped, not delayed.
  maxInFlight: number;
  // After the window, how long the requests still in flight get to end before they count as unfinished.
  drainMs: number;
}

export interface OpenLoopResult {
  perSecond: number;
  // Length of the sending window.
  seconds: number;
  // Requests the schedule called for in the window.
  offered: number;
  sent: number;
  dropped: number;
  ok: number;
  errors: number;
  unfinished: number;
  // ok answers that arrived within the window, per second of it.
  okPerSecond: number;
  // From send to answer, ok answers only.
  latency: Summary;
  // The same with every error, unfinished and dropped request counted as never answered.
  latencyWithFailures: Summary;
  peakInFlight: number;
  // A few error messages, for the log.
  errorSamples: string[];
}

// Requests a fixed-rate schedule has called for `elapsedMs` after it started.
export function dueBy(elapsedMs: number, perSecond: number): number {
  return Math.max(0, Math.floor((elapsedMs * perSecond) / 1000));
}

const TICK_MS = 1;

// Sends at a fixed rate whatever the answers (open loop), so a slow server meets the offered load
// and its queueing shows in the latencies, rather than slowing the client down with it.
export async function runOpenLoop(
  params: OpenLoopParams,
  send: (i: number) => Promise<Outcome>,
): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let issued = 0;
  let sent = 0;
  let dropped = 0;
  let ok = 0;
  let errors = 0;
  let unfinished = 0;
  let okInWindow = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let windowOpen = true;
  const inFlightDone = new Set<Promise<void>>();
  const windowMs = params.seconds * 1000;
  const started = performance.now();

  const fire = (i: number) => {
    const sentAt = performance.now();
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    sent++;
    const done = send(i)
      .catch((err: Error): Outcome => ({ kind: 'error', message: err.message }))
      .then((outcome) => {
        if (outcome.kind === 'ok') {
          ok++;
          if (windowOpen) okInWindow++;
          latencies.push(performance.now() - sentAt);
        } else if (outcome.kind === 'unfinished') {
          unfinished++;
        } else {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(outcome.message);
        }
      })
      .finally(() => {
        inFlight--;
        inFlightDone.delete(done);
      });
    inFlightDone.add(done);
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - started;
      const due = dueBy(Math.min(elapsed, windowMs), params.perSecond);
      while (issued < due) {
        const i = issued++;
        if (inFlight >= params.maxInFlight) dropped++;
        else fire(i);
      }
      if (elapsed >= windowMs) {
        windowOpen = false;
        resolve();
        return;
      }
      setTimeout(tick, TICK_MS);
    };
    tick();
  });

  const seconds = (performance.now() - started) / 1000;
  const stillOpen = [...inFlightDone];
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    Promise.all(stillOpen).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), params.drainMs);
    }),
  ]);
  clearTimeout(timer);
  // Whatever is still out after the drain period never ended, as far as this step is concerned.
  if (!drained) unfinished += inFlight;
  return {
    perSecond: params.perSecond,
    seconds,
    offered: issued,
    sent,
    dropped,
    ok,
    errors,
    unfinished,
    okPerSecond: okInWindow / seconds,
    latency: summarize(latencies),
    latencyWithFailures: summarizeWithFailures(latencies, errors + unfinished + dropped),
    peakInFlight,
    errorSamples,
  };
}

export interface Saturation {
  sustained: boolean;
  // Why not, in words (empty when sustained).
  reasons: string[];
}

export const MIN_ACHIEVED_SHARE = 0.9;
export const MAX_P99_MS = 1_000;

// A step is sustained when ok answers kept up with 90% of the offered rate, p99 stayed within
// a second, and no request failed, was dropped at the in-flight cap, or was left unfinished.
export function saturation(r: OpenLoopResult): Saturation {
  const reasons: string[] = [];
  if (r.okPerSecond < MIN_ACHIEVED_SHARE * r.perSecond) {
    reasons.push(`${r.okPerSecond.toFixed(0)}/s answered ok of ${r.perSecond}/s offered`);
  }
  if (r.latency.count > 0 && r.latency.p99 > MAX_P99_MS) reasons.push(`p99 ${r.latency.p99.toFixed(0)} ms`);
  if (r.errors > 0) reasons.push(`${r.errors} errors`);
  if (r.dropped > 0) reasons.push(`${r.dropped} dropped at the in-flight cap`);
  if (r.unfinished > 0) reasons.push(`${r.unfinished} unfinished`);
  return { sustained: reasons.length === 0, reasons };
}
