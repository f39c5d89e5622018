import { describe, expect, it } from 'vitest';
import { formatBytes, parseLabels, splitArgs } from './format.js';

describe('format', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(8 * 1024 ** 3)).toBe('8.0 GiB');
    expect(formatBytes(null)).toBe('—');
  });

  it('splits a command line with quotes', () => {
    const sut = splitArgs;
    expect(sut('echo hi')).toEqual(['echo', 'hi']);
    expect(sut(`sh -c "echo 'a b'" 'x y'`)).toEqual(['sh', '-c', "echo 'a b'", 'x y']);
  });

  it('reads labels from lines or commas', () => {
    expect(parseLabels('zone=eu\ndisk=ssd, gpu')).toEqual({ zone: 'eu', disk: 'ssd', gpu: '' });
  });
});
