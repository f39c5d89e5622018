import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryFromMeminfo, parseMeminfo, parseOsRelease, prettyName } from './host-facts.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/proc/${name}`, import.meta.url), 'utf8');

describe('meminfo', () => {
  it('reads total and available memory in bytes', () => {
    expect(memoryFromMeminfo(fixture('meminfo'))).toEqual({
      totalBytes: 24684096 * 1024,
      availableBytes: 23982228 * 1024,
    });
  });

  it('estimates available memory on kernels without MemAvailable', () => {
    expect(memoryFromMeminfo(fixture('meminfo.old-kernel'))).toEqual({
      totalBytes: 2000000 * 1024,
      availableBytes: 400000 * 1024,
    });
  });

  it('keeps counts without a unit as they are and skips odd lines', () => {
    const sut = parseMeminfo('HugePages_Total:       4\ngarbage\nMemTotal: 1 kB\n');
    expect([...sut]).toEqual([
      ['HugePages_Total', 4],
      ['MemTotal', 1024],
    ]);
  });

  it('throws when MemTotal is missing', () => {
    expect(() => memoryFromMeminfo('MemFree: 1 kB\n')).toThrow(/no MemTotal/);
  });
});

describe('os-release', () => {
  it('reads PRETTY_NAME', () => {
    expect(prettyName(fixture('os-release'))).toBe('Debian GNU/Linux 12 (bookworm)');
  });

  it('unquotes values and falls back to NAME VERSION', () => {
    const text = '# comment\nNAME=\'Alpine Linux\'\nVERSION="3.20 \\"edge\\""\nbroken line\nID=alpine\n';
    expect(Object.fromEntries(parseOsRelease(text))).toEqual({
      NAME: 'Alpine Linux',
      VERSION: '3.20 "edge"',
      ID: 'alpine',
    });
    expect(prettyName(text)).toBe('Alpine Linux 3.20 "edge"');
    expect(prettyName('')).toBeNull();
  });
});
