import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLxcConfig } from './lxc-config.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../test/fixtures/lxc/${name}`, import.meta.url), 'utf8');

describe('parseLxcConfig', () => {
  it('parses the config lxc-create -t busybox wrote', () => {
    const sut = parseLxcConfig(fixture('config.busybox'));
    expect(sut).toEqual({
      interfaces: [{ index: 0, type: 'veth', link: 'lxcbr0', hwaddr: null, name: null }],
      autostart: null,
      groups: [],
      warnings: [],
    });
  });

  it('parses several interfaces, autostart and groups, and reports broken lines', () => {
    const sut = parseLxcConfig(fixture('config.multi'));
    expect(sut.interfaces).toEqual([
      { index: 0, type: 'veth', link: 'lxcbr0', hwaddr: '00:16:3e:12:34:56', name: 'eth0' },
      { index: 1, type: 'veth', link: 'br-data', hwaddr: '00:16:3e:xx:xx:xx', name: 'data0' },
      { index: 2, type: 'macvlan', link: 'eth0', hwaddr: null, name: null },
    ]);
    expect(sut.autostart).toBe(true);
    expect(sut.groups).toEqual(['web', 'onboot']);
    expect(sut.warnings).toEqual([{ line: 15, text: 'this line is broken', reason: 'not a "key = value" line' }]);
  });

  it('understands the pre-2.1 lxc.network keys and an "lxc.net =" reset', () => {
    const sut = parseLxcConfig('lxc.network.0.type = veth\nlxc.net =\nlxc.network.1.link = br1\n');
    expect(sut.interfaces).toEqual([{ index: 1, type: null, link: 'br1', hwaddr: null, name: null }]);
  });
});
