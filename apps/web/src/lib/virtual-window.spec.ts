import { describe, expect, it } from 'vitest';
import { virtualWindow } from './virtual-window.js';

describe('virtualWindow', () => {
  it('renders only the rows in view plus the margin at 10,000 rows', () => {
    const sut = virtualWindow(10_000, 40, 40_000, 800, 5);
    expect(sut).toEqual({ start: 995, end: 1025, padTop: 995 * 40, padBottom: (10_000 - 1025) * 40 });
    expect(sut.end - sut.start).toBeLessThanOrEqual(30);
  });

  it('clamps at both ends and for empty lists', () => {
    expect(virtualWindow(3, 40, 0, 800)).toEqual({ start: 0, end: 3, padTop: 0, padBottom: 0 });
    expect(virtualWindow(100, 40, 1e9, 800, 2).end).toBe(100);
    expect(virtualWindow(0, 40, 0, 800)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });
});
