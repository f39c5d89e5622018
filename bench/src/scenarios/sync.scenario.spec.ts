import type { Fleet } from '@corral/simulator';
import { describe, expect, it } from 'vitest';
import type { PhaseUsage } from '../support/phase.js';
import { type SyncOutcome, syncReport } from './sync.scenario.js';

const usage = (over: Partial<PhaseUsage> = {}): PhaseUsage => ({
  seconds: 10,
  controllerCpuSeconds: 5,
  postgresCpuSeconds: 3,
  benchCpuSeconds: 1,
  machineBusyCpuSeconds: 9,
  otherCpuSeconds: 0,
  controllerPeakRssBytes: 400 * 1024 ** 2,
  controllerRssBytes: 300 * 1024 ** 2,
  ...over,
});

const outcome = (visibleSeconds: number, peakRss: number): SyncOutcome => ({
  fleet: {} as Fleet,
  enrollSeconds: 1,
  ackedSeconds: visibleSeconds - 0.1,
  visibleSeconds,
  usage: usage({ controllerPeakRssBytes: peakRss }),
  idle: usage(),
  timeline: [],
  final: { disconnects: 0, lastError: null } as unknown as SyncOutcome['final'],
});

const size = (hosts: number, containers = 50) => ({ hosts, containers, seed: 1, connectPerSecond: 1000 });
const byName = (figures: ReturnType<typeof syncReport>['figures']) => new Map(figures.map((f) => [f.name, f]));

describe('syncReport', () => {
  it('judges peak RSS and sync time at 10,000 x 50, the size the targets name', () => {
    const sut = byName(syncReport(size(10_000), outcome(33.6, 1014 * 1024 ** 2), null).figures);
    expect(sut.get('controller peak RSS')?.target).toEqual({ text: '<= 1.5 GiB', met: true });
    expect(sut.get('whole inventory visible in API')?.target).toEqual({ text: '<= 20 s', met: false });
  });

  it('judges neither at CI size, where meeting them proves nothing', () => {
    const sut = byName(syncReport(size(200), outcome(1.2, 300 * 1024 ** 2), null).figures);
    expect(sut.get('controller peak RSS')?.target).toBeUndefined();
    expect(sut.get('controller peak RSS')?.note).toBe('target at 10,000 x 50 only; not judged at this size');
    expect(sut.get('whole inventory visible in API')?.target).toBeUndefined();
  });

  it('does not take 10,000 hosts of another container count for the named size', () => {
    const sut = byName(syncReport(size(10_000, 10), outcome(12, 700 * 1024 ** 2), null).figures);
    expect(sut.get('controller peak RSS')?.target).toBeUndefined();
  });

  it('misses the RSS target over 1.5 GiB at the named size', () => {
    const sut = byName(syncReport(size(10_000), outcome(19, 1.6 * 1024 ** 3), null).figures);
    expect(sut.get('controller peak RSS')?.target?.met).toBe(false);
    expect(sut.get('whole inventory visible in API')?.target?.met).toBe(true);
  });

  it('leaves the acknowledged time without a verdict: the target counts until the API shows it all', () => {
    const sut = byName(syncReport(size(10_000), outcome(19, 1024 ** 3), null).figures);
    expect(sut.get('snapshots acked')?.target).toBeUndefined();
  });
});
