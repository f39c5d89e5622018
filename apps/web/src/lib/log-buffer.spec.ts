import { describe, expect, it } from 'vitest';
import { LogBuffer } from './log-buffer.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('LogBuffer', () => {
  it('joins lines split across chunks, keeps a line not yet ended, and drops CR before LF', () => {
    const sut = new LogBuffer();
    sut.append('stdout', bytes('one\r\ntw'));
    sut.append('stdout', bytes('o\nthr'));
    sut.append('stderr', bytes('err'));
    expect(sut.text()).toBe('one\ntwo\nthr\nerr');
    expect(sut.lineCount).toBe(4);
  });

  it('decodes a character split between two chunks', () => {
    const sut = new LogBuffer();
    const euro = bytes('€\n');
    sut.append('stderr', euro.subarray(0, 2));
    sut.append('stderr', euro.subarray(2));
    expect(sut.text()).toBe('€');
  });

  it('keeps only the last lines', () => {
    const sut = new LogBuffer(3);
    sut.append('stdout', bytes('1\n2\n3\n4\n5\n'));
    expect(sut.text()).toBe('3\n4\n5');
    sut.clear();
    expect(sut.text()).toBe('');
  });
});
