import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLxcInfo } from './lxc-info.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../test/fixtures/lxc/${name}`, import.meta.url), 'utf8');

describe('parseLxcInfo', () => {
  it('parses a running container', () => {
    const sut = parseLxcInfo(fixture('lxc-info.running.txt'));
    expect(sut).toEqual({
      name: 'fixc1',
      state: 'RUNNING',
      pid: 12278,
      ips: ['10.0.3.139', '10.0.3.250', 'fd00::5'],
      memoryBytes: 1011712,
      cpuNs: 15469440,
      links: [{ name: 'veth80PvTb', txBytes: 1514, rxBytes: 2202 }],
      warnings: [],
    });
  });

  it('parses a stopped container', () => {
    const sut = parseLxcInfo(fixture('lxc-info.stopped.txt'));
    expect(sut).toMatchObject({ name: 'a-much-longer-container-name-for-columns', state: 'STOPPED', pid: null });
    expect(sut.memoryBytes).toBeNull();
  });

  it('reports lines without a key and ignores values with units', () => {
    const sut = parseLxcInfo('Name: x\nnonsense\nMemory use: 1.5 MiB\n');
    expect(sut.memoryBytes).toBeNull();
    expect(sut.warnings).toEqual([{ line: 2, text: 'nonsense', reason: 'not a "key: value" line' }]);
  });
});
