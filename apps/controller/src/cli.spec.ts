import { describe, expect, it } from 'vitest';
import { parseDuration } from './cli.js';

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and days', () => {
    expect([parseDuration('90'), parseDuration('90s'), parseDuration('30m')]).toEqual([90, 90, 1800]);
    expect([parseDuration('1h'), parseDuration('7d')]).toEqual([3600, 604_800]);
  });

  it('refuses anything else, saying what it takes', () => {
    expect(() => parseDuration('1y')).toThrow(/90s, 30m, 1h or 7d/);
    expect(() => parseDuration('-5m')).toThrow();
  });
});
