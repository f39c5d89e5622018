import { describe, expect, it } from 'vitest';
import { OPS, type Sample, visibilityPlan, visibilityReport } from './visibility.scenario.js';

const samples = (runtime: Sample['runtime'], ms: number[]): Sample[] =>
  ms.map((v, i) => ({ runtime, op: OPS[i % OPS.length]!, ms: v }));

describe('visibilityReport', () => {
  it('meets the target when p99 of every change is within 2 s', () => {
    const sut = visibilityReport(visibilityPlan(true), [
      ...samples(
        'docker',
        Array.from({ length: 20 }, (_, i) => 100 + i),
      ),
      ...samples('lxc', [300, 1900, 250, 400]),
    ]);
    expect(sut.figures[0]).toMatchObject({
      name: 'engine change -> visible in the API, every change, p99',
      value: 1900,
      target: { text: 'p99 <= 2000 ms', met: true },
    });
    expect(sut.figures.map((f) => f.name)).toContain('lxc stop -> visible, p99');
  });

  it('misses it when a change took longer than 2 s at p99', () => {
    const sut = visibilityReport(visibilityPlan(true), samples('lxc', [300, 2_100, 250, 400]));
    expect(sut.figures[0]?.target?.met).toBe(false);
    expect(sut.figures.find((f) => f.name === 'lxc start -> visible, p99')?.target?.met).toBe(false);
    expect(sut.figures.find((f) => f.name === 'lxc create -> visible, p99')?.target?.met).toBe(true);
  });

  it('counts a change never seen as a miss, and says so', () => {
    const sut = visibilityReport(visibilityPlan(true), samples('docker', [120, 130, Number.POSITIVE_INFINITY, 110]));
    expect(sut.figures[0]?.value).toBe(Number.POSITIVE_INFINITY);
    expect(sut.figures[0]?.target?.met).toBe(false);
    expect(sut.figures[0]?.note).toContain('1 never visible within 60 s');
  });

  it('leaves out a runtime that was not measured rather than printing it empty', () => {
    const sut = visibilityReport({ ...visibilityPlan(true), lxcRounds: 0 }, samples('docker', [100, 100, 100, 100]));
    expect(sut.figures.some((f) => f.name.startsWith('lxc'))).toBe(false);
    expect(sut.params).toMatchObject({ lxcRounds: 0, agentIntervals: 'defaults' });
  });
});
