import { readFileSync } from 'node:fs';
import { BridgeRecordSchema } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { parseBridges, parseIpForward } from './ip-json.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../test/fixtures/net/${name}`, import.meta.url), 'utf8');

describe('parseBridges', () => {
  it('finds the bridges in `ip -j -d addr show` captured on an engine host', () => {
    const sut = parseBridges(fixture('ip-d-addr-show.json'));
    expect(sut.warnings).toEqual([]);
    for (const b of sut.bridges) BridgeRecordSchema.parse(b);
    expect(sut.bridges.map((b) => b.name)).toEqual(['br-50a0e3083e7b', 'docker0', 'lxcbr0']);
    expect(sut.bridges.find((b) => b.name === 'lxcbr0')).toEqual({
      name: 'lxcbr0',
      mac: '00:16:3e:00:00:00',
      state: 'UP',
      up: true,
      mtu: 1500,
      addresses: [
        { family: 'inet', address: '10.0.3.1', prefixLength: 24 },
        { family: 'inet6', address: 'fe80::216:3eff:fe00:0', prefixLength: 64 },
      ],
      stp: false,
      interfaces: ['veth80PvTb'],
    });
    expect(sut.bridges.find((b) => b.name === 'docker0')?.interfaces).toEqual(['veth498ab97']);
  });

  it('reads `ip -j -d link show type bridge` too (no addresses there)', () => {
    const sut = parseBridges(fixture('ip-d-link-bridge.json'));
    expect(sut.bridges.map((b) => [b.name, b.state, b.up, b.addresses.length])).toEqual([
      ['br-50a0e3083e7b', 'UP', true, 0],
      ['docker0', 'UP', true, 0],
      ['lxcbr0', 'UP', true, 0],
    ]);
  });

  it('reads STP and a downed bridge from flags and linkinfo', () => {
    const link = {
      ifname: 'br9',
      flags: ['BROADCAST', 'MULTICAST'],
      mtu: 9000,
      operstate: 'DOWN',
      linkinfo: { info_kind: 'bridge', info_data: { stp_state: 1 } },
    };
    const [sut] = parseBridges(JSON.stringify([link])).bridges;
    expect(sut).toMatchObject({ name: 'br9', up: false, stp: true, mtu: 9000, mac: null, interfaces: [] });
  });

  it('skips entries without the shape of a link and reports them', () => {
    const sut = parseBridges('[{"ifname":"x"},{"ifname":"br0","mtu":1500,"linkinfo":{"info_kind":"bridge"}}]');
    expect(sut.bridges.map((b) => b.name)).toEqual(['br0']);
    expect(sut.warnings).toHaveLength(1);
    expect(sut.warnings[0]!.line).toBe(1);
  });

  it('throws on output that is not a JSON array', () => {
    expect(() => parseBridges('Error: something')).toThrow(/not JSON/);
    expect(() => parseBridges('{}')).toThrow(/not a JSON array/);
  });
});

describe('parseIpForward', () => {
  it('reads 0 and 1 and refuses anything else', () => {
    expect(parseIpForward('1\n')).toBe(true);
    expect(parseIpForward('0')).toBe(false);
    expect(() => parseIpForward('yes')).toThrow(/unexpected/);
  });
});
