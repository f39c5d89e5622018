import { describe, expect, it } from 'vitest';
import { Remembered } from './remembered.js';

function source() {
  let reads = 0;
  let fail = false;
  let release: (() => void) | null = null;
  let gated = false;
  const read = () => {
    reads++;
    const n = reads;
    if (fail) return Promise.reject(new Error('database down'));
    if (!gated) return Promise.resolve(n);
    return new Promise<number>((resolve) => {
      release = () => resolve(n);
    });
  };
  return {
    read,
    get reads() {
      return reads;
    },
    failNext(on: boolean) {
      fail = on;
    },
    gate(on: boolean) {
      gated = on;
    },
    release: () => release?.(),
  };
}

describe('Remembered', () => {
  it('reads once within its time and again after it', async () => {
    let now = 1_000;
    const s = source();
    const sut = new Remembered(s.read, 2_000, () => now);
    expect(await sut.get()).toBe(1);
    now += 1_999;
    expect(await sut.get()).toBe(1);
    expect(s.reads).toBe(1);
    now += 1;
    expect(await sut.get()).toBe(2);
  });

  it('shares a read in flight and reads again after forget()', async () => {
    const s = source();
    s.gate(true);
    const sut = new Remembered(s.read, 60_000);
    const a = sut.get();
    const b = sut.get();
    s.release();
    expect([await a, await b]).toEqual([1, 1]);
    expect(s.reads).toBe(1);
    s.gate(false);
    sut.forget();
    expect(await sut.get()).toBe(2);
  });

  it('does not keep a read that was in flight when forget() was called', async () => {
    const s = source();
    s.gate(true);
    const sut = new Remembered(s.read, 60_000);
    const before = sut.get();
    sut.forget();
    s.release();
    expect(await before).toBe(1);
    s.gate(false);
    expect(await sut.get()).toBe(2);
  });

  it('does not keep a failed read', async () => {
    const s = source();
    const sut = new Remembered(s.read, 60_000);
    s.failNext(true);
    await expect(sut.get()).rejects.toThrow('database down');
    s.failNext(false);
    expect(await sut.get()).toBe(2);
  });
});
