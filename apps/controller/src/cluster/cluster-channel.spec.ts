import { describe, expect, it } from 'vitest';
import { packNotes } from './cluster-channel.js';

const wrap = (parts: string[]) => parts.join('|');

describe('packNotes', () => {
  it('fills a note up to its byte limit and starts the next, keeping the order', () => {
    const notes = packNotes(['aa', 'bb', 'cc', 'dd', 'e'], (p) => p.length, wrap, { maxBytes: 5 });
    // 'e' fits beside 'cc' and 'dd' (5 bytes, the limit).
    expect(notes).toEqual(['aa|bb', 'cc|dd|e']);
  });

  it('starts a note after maxParts parts', () => {
    const notes = packNotes(['a', 'b', 'c', 'd', 'e'], () => 1, wrap, { maxBytes: 100, maxParts: 2 });
    expect(notes).toEqual(['a|b', 'c|d', 'e']);
  });

  it('gives a part larger than the limit a note of its own, and nothing for no parts', () => {
    expect(packNotes(['a', 'toolarge', 'b'], (p) => p.length, wrap, { maxBytes: 4 })).toEqual(['a', 'toolarge', 'b']);
    expect(packNotes([], () => 1, wrap, { maxBytes: 4 })).toEqual([]);
  });
});
