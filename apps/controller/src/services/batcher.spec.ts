import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

// A run function whose batches finish only when the test lets them.
function gatedRun() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const run = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve) => gates.push(() => resolve(items.map((n) => n * 10))));
  };
  return { batches, run, release: () => gates.shift()?.() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('runs a lone item at once and groups what arrives while a batch is in flight', async () => {
    const g = gatedRun();
    const sut = new Batcher(g.run, { maxBatch: 3, concurrency: 1 });
    const first = sut.submit(1);
    expect(g.batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((n) => sut.submit(n));
    expect(sut.queued).toBe(4);
    g.release();
    expect(await first).toBe(10);
    await tick();
    // maxBatch caps the next batch; the remainder goes after it.
    expect(g.batches).toEqual([[1], [2, 3, 4]]);
    g.release();
    await tick();
    expect(g.batches).toEqual([[1], [2, 3, 4], [5]]);
    g.release();
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
  });

  it('keeps at most one item per key in a batch, in submission order', async () => {
    const g = gatedRun();
    const sut = new Batcher(g.run, { maxBatch: 10, concurrency: 1, keyOf: (n) => String(n % 2) });
    const all = [1, 2, 3, 4, 5].map((n) => sut.submit(n));
    // 1 went alone; 2..5 waited: odd and even keys alternate.
    g.release();
    await tick();
    expect(g.batches[1]).toEqual([2, 3]);
    g.release();
    await tick();
    expect(g.batches[2]).toEqual([4, 5]);
    g.release();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
  });

  it('runs up to `concurrency` batches at once', async () => {
    const g = gatedRun();
    const sut = new Batcher(g.run, { maxBatch: 2, concurrency: 2 });
    const all = [1, 2, 3, 4].map((n) => sut.submit(n));
    expect(g.batches).toEqual([[1], [2]]);
    g.release();
    await tick();
    expect(g.batches).toEqual([[1], [2], [3, 4]]);
    g.release();
    g.release();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40]);
  });

  it('rejects every item of a failed batch and goes on with the next', async () => {
    let calls = 0;
    const sut = new Batcher(
      async (items: number[]) => {
        calls++;
        if (items.includes(2)) throw new Error('database gone');
        return items;
      },
      { maxBatch: 10, concurrency: 1 },
    );
    const one = sut.submit(1);
    const two = sut.submit(2);
    const three = sut.submit(3);
    expect(await one).toBe(1);
    await expect(two).rejects.toThrow('database gone');
    await expect(three).rejects.toThrow('database gone');
    expect(await sut.submit(4)).toBe(4);
    expect(calls).toBe(3);
  });

  it('rejects a batch whose run returns the wrong number of results', async () => {
    const sut = new Batcher(async () => [1], { maxBatch: 10, concurrency: 1 });
    const first = sut.submit(1);
    const a = sut.submit(2);
    const b = sut.submit(3);
    expect(await first).toBe(1);
    await expect(a).rejects.toThrow('batch of 2 returned 1 results');
    await expect(b).rejects.toThrow('batch of 2 returned 1 results');
  });
});
