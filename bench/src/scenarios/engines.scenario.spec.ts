import { describe, expect, it } from 'vitest';
import { type EnginesRound, enginesPlan, enginesReport } from './engines.scenario.js';

const summary = { count: 50, p50: 100, p90: 100, p99: 100, max: 100, mean: 100 };

function round(corral: number, dockerode: number, swarm: number): EnginesRound {
  return {
    dockerode: {
      containers: 50,
      concurrency: 8,
      seconds: dockerode,
      perContainerMs: [],
      engineCpuSeconds: 6,
      removeSeconds: 3,
    },
    swarm: { replicas: 50, seconds: swarm, engineCpuSeconds: 7, removeSeconds: 6, initialised: true },
    corral: {
      containers: 50,
      resultsSeconds: corral,
      apiSeconds: corral - 0.1,
      dockerSeconds: corral - 0.5,
      requestMs: summary,
      acceptedMs: summary,
      finishedMs: summary,
      removeSeconds: 4,
      agentCpuSeconds: 0.5,
      engineCpuSeconds: 7,
      usage: {
        seconds: corral,
        controllerCpuSeconds: 1,
        postgresCpuSeconds: 0.2,
        benchCpuSeconds: 0.1,
        machineBusyCpuSeconds: 12,
        otherCpuSeconds: 10.7,
        controllerPeakRssBytes: 0,
        controllerRssBytes: 0,
      },
    },
  };
}

describe('enginesReport', () => {
  it('prints Corral as a ratio of each baseline, medians over the rounds', () => {
    const report = enginesReport(enginesPlan(false), [round(8, 7, 14), round(11, 10, 13), round(9, 8, 15)]);
    const [vsDockerode, vsSwarm] = report.figures;
    expect(vsDockerode).toMatchObject({ value: 9, baseline: { value: 8, ratio: 9 / 8 }, target: { met: true } });
    expect(vsSwarm).toMatchObject({ value: 9, baseline: { value: 14, ratio: 9 / 14 }, target: { met: true } });
  });

  it('misses the target beyond 1.2x dockerode, or when slower than Swarm', () => {
    expect(enginesReport(enginesPlan(true), [round(8.5, 7, 14)]).figures[0]?.target?.met).toBe(false);
    expect(enginesReport(enginesPlan(true), [round(8, 7, 7.5)]).figures[0]?.target?.met).toBe(false);
  });

  it('counts a run done when both the results and the API listing are in', () => {
    const r = round(8, 7, 14);
    r.corral.apiSeconds = 8.3;
    expect(enginesReport(enginesPlan(true), [r]).figures[0]?.value).toBe(8.3);
  });
});
