import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNetnsInterfaces } from './lxc-netns.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../test/fixtures/lxc/${name}`, import.meta.url), 'utf8');

describe('parseNetnsInterfaces', () => {
  it('reads the interfaces of a busybox container, leaving out the loopback', () => {
    expect(parseNetnsInterfaces(fixture('ip-addr.busybox.json'))).toEqual({
      interfaces: [{ name: 'eth0', mac: 'b6:71:57:1c:0f:cf', ipv4: ['10.0.3.149'], ipv6: [] }],
      warnings: [],
    });
  });

  it('keeps each address with its interface and drops link-local IPv6', () => {
    expect(parseNetnsInterfaces(fixture('ip-addr.multi.json')).interfaces).toEqual([
      { name: 'eth0', mac: 'fa:94:5d:d5:38:fa', ipv4: ['10.0.3.177'], ipv6: [] },
      { name: 'data0', mac: '06:26:ea:18:d4:19', ipv4: ['10.0.3.240'], ipv6: ['fd00:c0::10'] },
      { name: 'eth1', mac: 'c6:c2:a1:bd:de:25', ipv4: ['10.0.3.241'], ipv6: [] },
    ]);
  });

  it('reports entries without an interface name and tolerates missing fields', () => {
    const sut = parseNetnsInterfaces(
      JSON.stringify([{ ifindex: 3 }, { ifname: 'eth0', address: 'AA:BB:CC:00:11:22' }]),
    );
    expect(sut.interfaces).toEqual([{ name: 'eth0', mac: 'aa:bb:cc:00:11:22', ipv4: [], ipv6: [] }]);
    expect(sut.warnings).toHaveLength(1);
    expect(sut.warnings[0]).toMatchObject({ line: 1, text: '{"ifindex":3}' });
  });

  it('throws on output that is not a JSON array', () => {
    expect(() => parseNetnsInterfaces('Cannot open network namespace')).toThrow(/not JSON/);
    expect(() => parseNetnsInterfaces('{}')).toThrow(/not a JSON array/);
  });
});
