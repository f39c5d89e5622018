import { describe, expect, it } from 'vitest';
import { CappedOutput } from './capped-output.js';

function collect(max: number) {
  const forwarded: string[] = [];
  const sut = new CappedOutput(max, (chunk) => forwarded.push(chunk));
  return { sut, forwarded };
}

describe('CappedOutput', () => {
  it('keeps and forwards everything under the cap', () => {
    const { sut, forwarded } = collect(100);
    sut.push(Buffer.from('hello '));
    sut.push(Buffer.from('world'));
    expect(sut.end()).toBe('hello world');
    expect(forwarded).toEqual(['hello ', 'world']);
    expect(sut.truncated).toBe(false);
  });

  it('cuts at the cap, forwards nothing past it and says so', () => {
    const { sut, forwarded } = collect(5);
    sut.push(Buffer.from('abc'));
    sut.push(Buffer.from('defgh'));
    sut.push(Buffer.from('ijk'));
    expect(sut.end()).toBe('abcde');
    expect(forwarded.join('')).toBe('abcde');
    expect(sut.truncated).toBe(true);
  });

  it('is not truncated when the output is exactly the cap', () => {
    const { sut } = collect(3);
    sut.push(Buffer.from('abc'));
    expect(sut.end()).toBe('abc');
    expect(sut.truncated).toBe(false);
  });

  it('joins a multi-byte character split across chunks', () => {
    const { sut, forwarded } = collect(100);
    const bytes = Buffer.from('é!');
    sut.push(bytes.subarray(0, 1));
    sut.push(bytes.subarray(1));
    expect(sut.end()).toBe('é!');
    expect(forwarded).toEqual(['é!']);
  });

  it('replaces a character cut in half by the cap', () => {
    const { sut } = collect(2);
    sut.push(Buffer.from('aé'));
    expect(sut.end()).toBe('a\uFFFD');
    expect(sut.truncated).toBe(true);
  });
});
