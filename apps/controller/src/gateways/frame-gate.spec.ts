import { describe, expect, it } from 'vitest';
import { FrameGate } from './frame-gate.js';

describe('FrameGate', () => {
  it('lets a burst through, then asks to pause until a token is back, and refills with time', () => {
    let now = 0;
    const sut = new FrameGate({ framesPerSecond: 10, burst: 3, maxInvalid: 5 }, () => now);
    expect([sut.take(), sut.take(), sut.take()]).toEqual([0, 0, 0]);
    expect(sut.take()).toBe(200);
    now += 1000;
    expect(sut.take()).toBe(0);
  });

  it('gives up on a sender ten bursts past the limit', () => {
    const sut = new FrameGate({ framesPerSecond: 1, burst: 2, maxInvalid: 5 }, () => 0);
    const answers = Array.from({ length: 24 }, () => sut.take());
    expect(answers.slice(0, 2)).toEqual([0, 0]);
    expect(answers[2]).toBeGreaterThan(0);
    expect(answers[21]).toBeGreaterThan(0);
    expect(answers[23]).toBe(-1);
  });

  it('counts invalid frames within a sliding minute', () => {
    let now = 0;
    const sut = new FrameGate({ framesPerSecond: 1, burst: 1, maxInvalid: 3 }, () => now);
    expect(sut.invalidFrame()).toBe(false);
    expect(sut.invalidFrame()).toBe(false);
    now += 61_000;
    expect(sut.invalidFrame()).toBe(false);
    expect(sut.invalidFrame()).toBe(false);
    expect(sut.invalidFrame()).toBe(true);
  });
});
