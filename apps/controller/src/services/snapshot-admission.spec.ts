import { afterEach, describe, expect, it, vi } from 'vitest';
import { SnapshotAdmission } from './snapshot-admission.js';

const settled = async (p: Promise<unknown>) => {
  let done = false;
  p.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('SnapshotAdmission', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits up to the limit, then one waiter per place given back, in order', async () => {
    const sut = new SnapshotAdmission(2);
    const a = await sut.acquire();
    const b = await sut.acquire();
    const c = sut.acquire();
    const d = sut.acquire();
    expect(await settled(c)).toBe(false);
    expect(sut.queued).toBe(2);
    a();
    expect(await settled(c)).toBe(true);
    expect(await settled(d)).toBe(false);
    // Giving a place back twice frees one place only.
    a();
    expect(await settled(d)).toBe(false);
    b();
    expect(await settled(d)).toBe(true);
    (await c)();
    (await d)();
    expect(sut.inFlight).toBe(0);
  });

  it('takes a place back after holdMs when no snapshot came', async () => {
    vi.useFakeTimers();
    const sut = new SnapshotAdmission(1, 1_000);
    await sut.acquire();
    const next = sut.acquire();
    vi.advanceTimersByTime(999);
    await Promise.resolve();
    expect(sut.queued).toBe(1);
    vi.advanceTimersByTime(1);
    const release = await next;
    expect(sut.queued).toBe(0);
    release();
    expect(sut.inFlight).toBe(0);
  });
});
