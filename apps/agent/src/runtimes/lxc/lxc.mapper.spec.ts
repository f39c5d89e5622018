import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapLxcContainer, mapLxcState } from './lxc.mapper.js';
import { parseLxcConfig } from './lxc-config.parser.js';
import type { LxcLsRow } from './lxc-ls.parser.js';

const config = parseLxcConfig(
  readFileSync(new URL('../../../../../test/fixtures/lxc/config.multi', import.meta.url), 'utf8'),
);

const row: LxcLsRow = {
  name: 'multi',
  state: 'RUNNING',
  pid: 7,
  ipv4: ['10.0.3.5', '192.168.9.5'],
  ipv6: [],
  autostart: null,
  groups: [],
  interfaces: ['eth0', 'data0', 'lo'],
};

describe('mapLxcContainer', () => {
  it('does not guess which interface holds which address when there are several', () => {
    const sut = mapLxcContainer('/lxc', row, config, 1024);
    expect(sut.networks).toEqual([
      { name: 'eth0', ipv4: null, ipv6: null, mac: '00:16:3e:12:34:56', bridge: 'lxcbr0' },
      // A hwaddr template (xx) is randomised at start, so it is not this interface's MAC.
      { name: 'data0', ipv4: null, ipv6: null, mac: null, bridge: 'br-data' },
      // A macvlan's link is a host NIC, not a bridge.
      { name: 'eth2', ipv4: null, ipv6: null, mac: null, bridge: null },
    ]);
    expect(sut).toMatchObject({ ipv4: ['10.0.3.5', '192.168.9.5'], autostart: true, groups: ['web', 'onboot'] });
    expect(sut.memoryBytes).toBe(1024);
  });

  it('maps every LXC state and unknown ones', () => {
    expect(['FROZEN', 'STOPPING', 'THAWED', 'what'].map(mapLxcState)).toEqual([
      'frozen',
      'stopping',
      'thawed',
      'unknown',
    ]);
  });
});
