import { describe, expect, it } from 'vitest';
import { summarize, summarizeWithFailures } from '../support/stats.js';
import { commandsVerdict, type JudgedStep, outcomeOf } from './commands.scenario.js';

describe('outcomeOf', () => {
  it('is ok once the command succeeded within the wait', () => {
    expect(outcomeOf(202, { id: 'c', status: 'succeeded' })).toEqual({ kind: 'ok' });
  });

  it('is unfinished when the wait ran out first', () => {
    for (const status of ['pending', 'sent', 'running'])
      expect(outcomeOf(202, { status })).toEqual({ kind: 'unfinished' });
  });

  it('is an error for a command that ended otherwise, with its code', () => {
    expect(outcomeOf(202, { status: 'timed_out', error: { code: 'timeout' } })).toEqual({
      kind: 'error',
      message: 'command ended timed_out (timeout)',
    });
  });

  it('is an error for any other HTTP status, with the message the API gave', () => {
    expect(outcomeOf(404, { message: 'no container with id x' })).toEqual({
      kind: 'error',
      message: 'HTTP 404: no container with id x',
    });
    expect(outcomeOf(502, 'Bad Gateway')).toEqual({ kind: 'error', message: 'HTTP 502: Bad Gateway' });
  });
});

describe('commandsVerdict', () => {
  const step = (perSecond: number, over: Partial<JudgedStep> = {}): JudgedStep => {
    const base: JudgedStep = {
      perSecond,
      seconds: 10,
      offered: perSecond * 10,
      sent: perSecond * 10,
      dropped: 0,
      ok: perSecond * 10,
      errors: 0,
      unfinished: 0,
      okPerSecond: perSecond,
      latency: summarize([4, 5, 12]),
      latencyWithFailures: summarize([4, 5, 12]),
      peakInFlight: 3,
      errorSamples: [],
      saturation: { sustained: true, reasons: [] },
    };
    return { ...base, ...over };
  };

  it('is met when the 200/s step was sustained with p99 within 20 ms', () => {
    expect(commandsVerdict([step(100), step(200), step(400)])).toEqual({ met: true, p99: 12, reasons: [] });
  });

  it('is missed when the 200/s step was not sustained, however fast its answers were', () => {
    const sut = commandsVerdict([
      step(100),
      step(200, {
        okPerSecond: 150,
        saturation: { sustained: false, reasons: ['150/s answered ok of 200/s offered'] },
      }),
    ]);
    expect(sut.met).toBe(false);
    expect(sut.reasons).toEqual(['not sustained (150/s answered ok of 200/s offered)']);
  });

  it('counts failed requests in the p99 it judges', () => {
    const sut = commandsVerdict([
      step(200, {
        errors: 30,
        latency: summarize([4, 5, 12]),
        latencyWithFailures: summarizeWithFailures(
          Array.from({ length: 1970 }, () => 5),
          30,
        ),
        saturation: { sustained: false, reasons: ['30 errors'] },
      }),
    ]);
    expect(sut.met).toBe(false);
    expect(sut.p99).toBe(Number.POSITIVE_INFINITY);
    expect(sut.reasons).toEqual(['not sustained (30 errors)', 'p99 never (failures)']);
  });

  it('is missed when p99 is over 20 ms', () => {
    const sut = commandsVerdict([step(200, { latencyWithFailures: summarize([5, 25]) })]);
    expect(sut).toEqual({ met: false, p99: 25, reasons: ['p99 25 ms'] });
  });

  it('is missed, saying where the steps stopped, when no step reached 200/s', () => {
    const sut = commandsVerdict([step(50), step(100, { saturation: { sustained: false, reasons: ['p99 1500 ms'] } })]);
    expect(sut).toEqual({
      met: false,
      p99: Number.NaN,
      reasons: ['no step at 200/s: the steps stopped at 100/s, not sustained'],
    });
  });
});
