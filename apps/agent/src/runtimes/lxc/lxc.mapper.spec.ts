import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lxcInterfaceNames, mapLxcContainer, mapLxcState } from './lxc.mapper.js';
import { parseLxcConfig } from './lxc-config.parser.js';
import type { LxcLsRow } from './lxc-ls.parser.js';
import { parseNetnsInterfaces } from './lxc-netns.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../test/fixtures/lxc/${name}`, import.meta.url), 'utf8');

const config = parseLxcConfig(fixture('config.multi'));

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
  it('does not guess which interface holds which address when the namespace was not read', () => {
    const sut = mapLxcContainer('/lxc', row, config, 1024);
    expect(sut.networks).toEqual([
      { name: 'eth0', ipv4: null, ipv6: null, mac: '00:16:3e:12:34:56', bridge: 'lxcbr0' },
      // A hwaddr template (xx) is randomised at start, so it is not this interface's MAC.
      { name: 'data0', ipv4: null, ipv6: null, mac: null, bridge: 'br-data' },
      // A macvlan's link is a host NIC, not a bridge. The kernel gives it the lowest free eth%d.
      { name: 'eth1', ipv4: null, ipv6: null, mac: null, bridge: null },
    ]);
    expect(sut).toMatchObject({ ipv4: ['10.0.3.5', '192.168.9.5'], autostart: true, groups: ['web', 'onboot'] });
    expect(sut.memoryBytes).toBe(1024);
  });

  it('takes MAC and addresses per interface from the container network namespace', () => {
    const live = parseNetnsInterfaces(fixture('ip-addr.multi.json')).interfaces;
    const multiRow: LxcLsRow = {
      ...row,
      ipv4: ['10.0.3.177', '10.0.3.240', '10.0.3.241'],
      ipv6: ['fd00:c0::10'],
      interfaces: ['data0', 'eth0', 'eth1', 'lo'],
    };
    const sut = mapLxcContainer('/lxc', multiRow, parseLxcConfig(fixture('config.busybox-multi')), 1024, live);
    expect(sut.networks).toEqual([
      { name: 'eth0', ipv4: '10.0.3.177', ipv6: null, mac: 'fa:94:5d:d5:38:fa', bridge: 'lxcbr0' },
      { name: 'data0', ipv4: '10.0.3.240', ipv6: 'fd00:c0::10', mac: '06:26:ea:18:d4:19', bridge: 'lxcbr0' },
      { name: 'eth1', ipv4: '10.0.3.241', ipv6: null, mac: 'c6:c2:a1:bd:de:25', bridge: 'lxcbr0' },
    ]);
    expect(sut.ipv4).toEqual(['10.0.3.177', '10.0.3.240', '10.0.3.241']);
  });

  it('fills the single interface of a busybox container, whose config has no name or hwaddr', () => {
    const live = parseNetnsInterfaces(fixture('ip-addr.busybox.json')).interfaces;
    const single: LxcLsRow = { ...row, ipv4: ['10.0.3.149'], interfaces: ['eth0', 'lo'] };
    const sut = mapLxcContainer('/lxc', single, parseLxcConfig(fixture('config.busybox')), null, live);
    expect(sut.networks).toEqual([
      { name: 'eth0', ipv4: '10.0.3.149', ipv6: null, mac: 'b6:71:57:1c:0f:cf', bridge: 'lxcbr0' },
    ]);
  });

  it('falls back to the config for an interface the namespace does not show', () => {
    const live = [{ name: 'eth0', mac: '00:16:3e:aa:bb:cc', ipv4: ['10.0.3.5'], ipv6: [] }];
    const sut = mapLxcContainer('/lxc', row, config, null, live);
    expect(sut.networks.map((n) => [n.name, n.mac, n.ipv4])).toEqual([
      ['eth0', '00:16:3e:aa:bb:cc', '10.0.3.5'],
      ['data0', null, null],
      ['eth1', null, null],
    ]);
  });

  it('names interfaces the way LXC does', () => {
    const iface = { index: 0, type: 'veth', link: 'lxcbr0', hwaddr: null, name: null };
    expect(
      lxcInterfaceNames([
        { ...iface, name: 'eth1' },
        iface,
        { ...iface, name: 'data0' },
        iface,
        { ...iface, type: 'phys', link: 'enp3s0' },
      ]),
    ).toEqual(['eth1', 'eth0', 'data0', 'eth2', 'enp3s0']);
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
