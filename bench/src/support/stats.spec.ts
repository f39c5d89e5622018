import { describe, expect, it } from 'vitest';
import { summarize, summarizeWithFailures } from './stats.js';

describe('summarizeWithFailures', () => {
  it('is the plain summary when nothing failed', () => {
    const values = [3, 1, 2];
    expect(summarizeWithFailures(values, 0)).toEqual(summarize(values));
  });

  it('puts the failures above every answer, so a p99 cannot hide them', () => {
    const fast = Array.from({ length: 98 }, () => 5);
    const sut = summarizeWithFailures(fast, 2);
    expect(sut.count).toBe(100);
    expect(sut.p50).toBe(5);
    expect(sut.p99).toBe(Number.POSITIVE_INFINITY);
    expect(sut.max).toBe(Number.POSITIVE_INFINITY);
    // The successes alone would have called it 5 ms.
    expect(summarize(fast).p99).toBe(5);
  });

  it('leaves p99 to the answers while failures are under 1%', () => {
    const answers = Array.from({ length: 999 }, (_, i) => i + 1);
    expect(summarizeWithFailures(answers, 1).p99).toBe(990);
  });
});
