export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

// Latencies with each failed request (or change never seen) counted as never answered: a p99 of the
// successes alone would look fine at a step where 5% failed.
export function summarizeWithFailures(values: number[], failures: number): Summary {
  return summarize(failures > 0 ? [...values, ...new Array<number>(failures).fill(Number.POSITIVE_INFINITY)] : values);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Runs `count` calls of `task` with at most `concurrency` in flight; returns each call's duration in ms.
export async function timedPool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
  deadlineMs = 120_000,
): Promise<number[]> {
  const durations: number[] = [];
  const stopAt = Date.now() + deadlineMs;
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < stopAt) {
      const i = next++;
      const started = performance.now();
      await task(i);
      durations.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return durations;
}

export { prng as prngFor } from '@corral/simulator';
