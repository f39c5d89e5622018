import { describe, expect, it } from 'vitest';
import { noteBatches } from './command-dispatch.service.js';

describe('noteBatches', () => {
  it('puts the send and cancel notes of a tick in as few notifications as fit, in order', () => {
    const notes = Array.from({ length: 300 }, (_, i) => ({
      h: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      c: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      a: (i % 10 === 0 ? 'cancel' : 'send') as 'send' | 'cancel',
    }));
    const payloads = noteBatches(notes);
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(7_500);
    const back = payloads.flatMap((p) => (JSON.parse(p) as { a: string; n: typeof notes }).n);
    expect(back).toEqual(notes);
    expect(payloads.every((p) => (JSON.parse(p) as { a: string }).a === 'notes')).toBe(true);
  });

  it('makes no notification for no notes', () => {
    expect(noteBatches([])).toEqual([]);
  });
});
