import { describe, expect, it } from 'vitest';
import { ControllerRotation, startIndex } from './controller-rotation.js';

const A = 'ws://a:7070/agent';
const B = 'ws://b:7070/agent';
const C = 'wss://c:7070/agent';

describe('ControllerRotation', () => {
  it('with one URL backs off after every failure, from attempt 0 again after a welcome (as before lists)', () => {
    const sut = new ControllerRotation([A]);
    expect(sut.current).toBe(A);
    expect([sut.failed(), sut.failed(), sut.failed()]).toEqual([
      { url: A, backoffAttempt: 0 },
      { url: A, backoffAttempt: 1 },
      { url: A, backoffAttempt: 2 },
    ]);
    sut.connected();
    expect(sut.failed()).toEqual({ url: A, backoffAttempt: 0 });
  });

  it('tries the other URLs at once and backs off only after a whole round failed, longer each round', () => {
    const sut = new ControllerRotation([A, B, C], 1);
    expect(sut.current).toBe(B);
    const attempts = Array.from({ length: 7 }, () => sut.failed());
    expect(attempts).toEqual([
      { url: C, backoffAttempt: null },
      { url: A, backoffAttempt: null },
      { url: B, backoffAttempt: 0 },
      { url: C, backoffAttempt: null },
      { url: A, backoffAttempt: null },
      { url: B, backoffAttempt: 1 },
      { url: C, backoffAttempt: null },
    ]);
  });

  it('after a welcome, a drop moves to the next URL at once', () => {
    const sut = new ControllerRotation([A, B]);
    sut.failed();
    sut.failed();
    expect(sut.current).toBe(A);
    sut.connected();
    expect(sut.failed()).toEqual({ url: B, backoffAttempt: null });
    expect(sut.failed()).toEqual({ url: A, backoffAttempt: 0 });
  });

  it('stays on a replica that said the connection was superseded, after a backoff that grows while it repeats', () => {
    const sut = new ControllerRotation([A, B]);
    sut.connected();
    expect(sut.superseded()).toEqual({ url: A, backoffAttempt: 0 });
    sut.connected();
    expect(sut.superseded()).toEqual({ url: A, backoffAttempt: 1 });
    sut.connected();
    expect(sut.superseded()).toEqual({ url: A, backoffAttempt: 2 });
    // Any other end of a connection starts the superseded count again, and counts as a fresh round.
    expect(sut.failed()).toEqual({ url: B, backoffAttempt: null });
    sut.connected();
    expect(sut.superseded()).toEqual({ url: B, backoffAttempt: 0 });
  });

  it('refuses an empty list', () => {
    expect(() => new ControllerRotation([])).toThrow(/at least one URL/);
  });
});

describe('startIndex', () => {
  it('is 0 for a single URL and stable for the same key', () => {
    expect(startIndex('any', 1)).toBe(0);
    expect(startIndex('agent-1', 3)).toBe(startIndex('agent-1', 3));
  });

  it('spreads many hosts over every URL', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[startIndex(`agent-${i}`, 3)]!++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });
});
