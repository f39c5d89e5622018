import { describe, expect, it } from 'vitest';
import { summarize, summarizeWithFailures } from '../support/stats.js';
import { churnFigures, churnVerdict, type JudgedStep, type Step } from './churn.scenario.js';

// 100 followed changes whose p99 is `p99`.
const seen = (p99: number) => [...Array.from({ length: 97 }, () => 40), p99, p99, p99];

const step = (rate: number, over: Partial<JudgedStep> = {}): JudgedStep => ({
  rate,
  ackedPerSecond: rate * 0.99,
  sustained: true,
  sendToVisible: summarize(seen(200)),
  sendToVisibleWithUnseen: summarize(seen(200)),
  unseen: 0,
  tracked: 100,
  ...over,
});

describe('churnVerdict', () => {
  it('is met at the highest step that is sustained, fast enough and within 1 s at p99', () => {
    const sut = churnVerdict([step(2500), step(7500), step(10_000)]);
    expect(sut.met).toBe(true);
    expect(sut.step?.rate).toBe(10_000);
  });

  it('judges rate and p99 at the same step: a fast step and a low p99 elsewhere do not add up', () => {
    const sut = churnVerdict([
      // p99 met here, but only 2,475 changes/s
      step(2500),
      // 7,425 changes/s here, but p99 1.5 s
      step(7500, { sendToVisibleWithUnseen: summarize(seen(1500)) }),
    ]);
    expect(sut.met).toBe(false);
    expect(sut.step?.rate).toBe(7500);
    expect(sut.reasons).toEqual(['7500/s step: p99 1,500 ms with 0 of 100 unseen']);
  });

  it('counts changes never seen on the event stream as never visible', () => {
    const unseen = 3;
    const sut = churnVerdict([
      step(5000, {
        ackedPerSecond: 5100,
        sendToVisible: summarize(seen(200).slice(unseen)),
        sendToVisibleWithUnseen: summarizeWithFailures(seen(200).slice(unseen), unseen),
        unseen,
      }),
    ]);
    expect(sut.met).toBe(false);
    expect(sut.reasons).toEqual(['5000/s step: p99 never (failures) with 3 of 100 unseen']);
  });

  it('needs 5,000 changes/s acknowledged, not offered', () => {
    const sut = churnVerdict([step(5000, { ackedPerSecond: 4923 })]);
    expect(sut.met).toBe(false);
    expect(sut.reasons).toEqual(['5000/s step: 4923/s acknowledged']);
  });

  it('needs the step sustained', () => {
    const sut = churnVerdict([step(1000), step(5000, { ackedPerSecond: 5050, sustained: false })]);
    expect(sut.met).toBe(false);
    // The closest is the highest sustained step.
    expect(sut.step?.rate).toBe(1000);
  });
});

describe('churnFigures', () => {
  const usage = {
    seconds: 15,
    controllerCpuSeconds: 1,
    postgresCpuSeconds: 1,
    benchCpuSeconds: 1,
    machineBusyCpuSeconds: 3,
    otherCpuSeconds: 0,
    controllerPeakRssBytes: 1,
    controllerRssBytes: 1,
  };
  const full = (s: JudgedStep): Step => ({
    ...s,
    offeredPerSecond: s.rate,
    sentPerSecond: s.rate,
    backlogMid: 0,
    backlogEnd: 0,
    drainedInSeconds: 1,
    changeToVisible: s.sendToVisible,
    usage,
  });

  it('prints no rate and no latency when no step was sustained, rather than a zero', () => {
    const sut = churnFigures([full(step(250, { sustained: false, ackedPerSecond: 120 }))], null);
    const byName = new Map(sut.map((f) => [f.name, f]));
    expect(byName.get('highest sustained churn')?.value).toBeNaN();
    expect(byName.get('visible p99 at that rate, unseen counted')?.value).toBeNaN();
    expect(sut[0]?.target?.met).toBe(false);
  });
});
