import type { Delta } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.js';

const delta = (seq: number): Delta => ({
  type: 'delta',
  seq,
  changes: [{ op: 'remove', kind: 'lease', key: `k${seq}` }],
});

describe('Outbox', () => {
  it('drops what the controller acknowledged', () => {
    const sut = new Outbox(10);
    for (const s of [5, 6, 7]) sut.push(delta(s));
    sut.ack(6);
    expect(sut.pending().map((d) => d.seq)).toEqual([7]);
  });

  it('resumes when the buffer continues from the controller sequence', () => {
    const sut = new Outbox(10);
    for (const s of [5, 6, 7]) sut.push(delta(s));
    expect(sut.canResumeFrom(5, 7)).toBe(true);
    expect(sut.pending().map((d) => d.seq)).toEqual([6, 7]);
  });

  it('refuses to resume across a hole, or when the controller is ahead of this process', () => {
    const sut = new Outbox(10);
    for (const s of [5, 6]) sut.push(delta(s));
    expect(sut.canResumeFrom(2, 6)).toBe(false);
    expect(new Outbox(10).canResumeFrom(9, 4)).toBe(false);
    expect(new Outbox(10).canResumeFrom(4, 4)).toBe(true);
  });

  it('gives up on replay after overflowing', () => {
    const sut = new Outbox(2);
    for (const s of [1, 2, 3]) sut.push(delta(s));
    expect(sut.overflowed).toBe(true);
    expect(sut.canResumeFrom(0, 3)).toBe(false);
  });
});
