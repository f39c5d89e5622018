import { describe, expect, it } from 'vitest';
import { dueBy, type OpenLoopResult, type Outcome, runOpenLoop, saturation } from './open-loop.js';
import { summarize } from './stats.js';

const result = (over: Partial<OpenLoopResult>): OpenLoopResult => ({
  perSecond: 200,
  seconds: 3,
  offered: 600,
  sent: 600,
  dropped: 0,
  ok: 600,
  errors: 0,
  unfinished: 0,
  okPerSecond: 199,
  latency: summarize([5, 10, 15]),
  latencyWithFailures: summarize([5, 10, 15]),
  peakInFlight: 4,
  errorSamples: [],
  ...over,
});

describe('dueBy', () => {
  it('counts the requests a fixed rate has called for so far', () => {
    expect(dueBy(0, 200)).toBe(0);
    expect(dueBy(4, 200)).toBe(0);
    expect(dueBy(5, 200)).toBe(1);
    expect(dueBy(1000, 200)).toBe(200);
    expect(dueBy(2999, 50)).toBe(149);
    expect(dueBy(-3, 50)).toBe(0);
  });
});

describe('saturation', () => {
  it('holds a step sustained when answers keep up, p99 stays within a second and nothing failed', () => {
    expect(saturation(result({}))).toEqual({ sustained: true, reasons: [] });
  });

  it('names every reason a step is not sustained', () => {
    const sut = saturation(
      result({
        okPerSecond: 120,
        latency: summarize([10, 2_500]),
        errors: 2,
        dropped: 7,
        unfinished: 1,
      }),
    );
    expect(sut.sustained).toBe(false);
    expect(sut.reasons).toEqual([
      '120/s answered ok of 200/s offered',
      'p99 2500 ms',
      '2 errors',
      '7 dropped at the in-flight cap',
      '1 unfinished',
    ]);
  });

  it('does not count a step without answers as sustained', () => {
    expect(saturation(result({ ok: 0, okPerSecond: 0, latency: summarize([]) })).sustained).toBe(false);
  });
});

describe('runOpenLoop', () => {
  it('sends at the rate whatever the answers, and sorts how each ended', async () => {
    const outcomes: Outcome[] = [{ kind: 'ok' }, { kind: 'unfinished' }, { kind: 'error', message: 'HTTP 500' }];
    const sut = await runOpenLoop({ perSecond: 300, seconds: 0.2, maxInFlight: 1_000, drainMs: 1_000 }, async (i) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return outcomes[i % 3]!;
    });
    expect(sut.offered).toBe(60);
    expect(sut.sent).toBe(60);
    expect(sut.ok).toBe(20);
    expect(sut.unfinished).toBe(20);
    expect(sut.errors).toBe(20);
    expect(sut.errorSamples).toContain('HTTP 500');
    expect(sut.latency.count).toBe(20);
    expect(sut.latency.p50).toBeGreaterThanOrEqual(15);
    // Two of three never answered ok: with them counted, the median is a failure.
    expect(sut.latencyWithFailures.count).toBe(60);
    expect(sut.latencyWithFailures.p50).toBe(Number.POSITIVE_INFINITY);
    // Answers take 20 ms, so several requests were out at once: the loop did not wait for them.
    expect(sut.peakInFlight).toBeGreaterThan(1);
  });

  it('drops what is due while the in-flight cap is reached, and counts what never ended as unfinished', async () => {
    const sut = await runOpenLoop(
      { perSecond: 100, seconds: 0.1, maxInFlight: 3, drainMs: 50 },
      () => new Promise<Outcome>(() => {}),
    );
    expect(sut.offered).toBe(10);
    expect(sut.sent).toBe(3);
    expect(sut.dropped).toBe(7);
    expect(sut.unfinished).toBe(3);
    expect(sut.ok).toBe(0);
    // Dropped and unfinished requests are in the percentiles as never answered.
    expect(sut.latencyWithFailures.count).toBe(10);
    expect(sut.latencyWithFailures.p99).toBe(Number.POSITIVE_INFINITY);
  });

  it('counts a send that throws as an error', async () => {
    const sut = await runOpenLoop({ perSecond: 100, seconds: 0.05, maxInFlight: 10, drainMs: 100 }, async () => {
      throw new Error('socket hang up');
    });
    expect(sut.errors).toBe(sut.sent);
    expect(sut.errorSamples[0]).toBe('socket hang up');
  });
});
