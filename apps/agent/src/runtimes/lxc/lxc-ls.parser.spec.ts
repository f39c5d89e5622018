import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLxcLs } from './lxc-ls.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../test/fixtures/lxc/${name}`, import.meta.url), 'utf8');

describe('parseLxcLs', () => {
  it('parses output captured from lxc-ls 5.0.2', () => {
    const sut = parseLxcLs(fixture('lxc-ls.txt'));
    expect(sut.warnings).toEqual([]);
    expect(sut.rows).toEqual([
      {
        name: 'a-much-longer-container-name-for-columns',
        state: 'STOPPED',
        pid: null,
        ipv4: [],
        ipv6: [],
        autostart: true,
        groups: ['web', 'db'],
        interfaces: [],
      },
      {
        name: 'fixc1',
        state: 'RUNNING',
        pid: 12278,
        ipv4: ['10.0.3.139', '10.0.3.250'],
        ipv6: ['fd00::5'],
        autostart: false,
        groups: [],
        interfaces: ['eth0', 'lo'],
      },
    ]);
  });

  it('follows values that overflow their column', () => {
    const sut = parseLxcLs(fixture('lxc-ls.misaligned.txt'));
    expect(sut.warnings).toEqual([]);
    expect(sut.rows.map((r) => r.name)).toEqual(['web1', 'a-very-long-container-name-that-overflows', 'db']);
    expect(sut.rows[1]).toEqual({
      name: 'a-very-long-container-name-that-overflows',
      state: 'RUNNING',
      pid: 2345,
      ipv4: ['10.0.3.11', '10.0.3.12'],
      ipv6: ['fd00::12'],
      autostart: false,
      groups: [],
      interfaces: ['eth0', 'eth1', 'lo'],
    });
    expect(sut.rows[2]).toMatchObject({ state: 'STOPPED', groups: ['db', 'web'], interfaces: [] });
  });

  it('skips odd lines and reports them with line numbers', () => {
    const sut = parseLxcLs(fixture('lxc-ls.malformed.txt'));
    expect(sut.rows.map((r) => r.name)).toEqual(['good1', 'good2']);
    expect(sut.warnings.map((w) => [w.line, w.reason])).toEqual([
      [3, 'unknown state "LINE"'],
      [4, 'bad PID "abc"'],
      [5, 'unknown state "BROKEN"'],
      [6, 'unknown state ""'],
    ]);
  });

  it('reads columns by header name, in any order', () => {
    const sut = parseLxcLs('STATE   NAME\nRUNNING c1\n');
    expect(sut.rows).toEqual([
      { name: 'c1', state: 'RUNNING', pid: null, ipv4: [], ipv6: [], autostart: null, groups: [], interfaces: [] },
    ]);
  });

  it('returns nothing for empty output (a missing lxcpath) and warns on a header without NAME', () => {
    expect(parseLxcLs('')).toEqual({ rows: [], warnings: [] });
    expect(parseLxcLs('FOO BAR\nx y\n').warnings).toEqual([
      { line: 1, text: 'FOO BAR', reason: 'header has no NAME column' },
    ]);
  });
});
