import { readFileSync } from 'node:fs';
import { LeaseRecordSchema } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { bridgeFromLeaseFile, parseLeaseFile } from './lease-file.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../test/fixtures/leases/${name}`, import.meta.url), 'utf8');

describe('parseLeaseFile', () => {
  it('parses a lease file written by dnsmasq for lxcbr0', () => {
    const sut = parseLeaseFile(fixture('dnsmasq.lxcbr0.leases'), { source: '/f', bridge: 'lxcbr0' });
    expect(sut.warnings).toEqual([]);
    expect(sut.leases[0]).toEqual({
      source: '/f',
      bridge: 'lxcbr0',
      expiresAt: '2026-11-29T07:49:34.000Z',
      mac: '72:14:ae:fb:07:b2',
      ip: '10.0.3.139',
      hostname: null,
      clientId: '01:72:14:ae:fb:07:b2',
    });
    for (const lease of sut.leases) LeaseRecordSchema.parse(lease);
  });

  it('keeps good lines, reports bad ones by line number, and skips the DHCPv6 section', () => {
    const sut = parseLeaseFile(fixture('dnsmasq.br-test.leases'), { source: '/f', bridge: null });
    expect(sut.leases.map((l) => [l.ip, l.hostname, l.expiresAt, l.mac, l.clientId])).toEqual([
      ['10.0.3.139', 'web1', '2026-11-29T07:49:34.000Z', '72:14:ae:fb:07:b2', '01:72:14:ae:fb:07:b2'],
      ['10.0.3.200', 'static-host', null, '00:16:3e:aa:bb:cc', null],
      ['10.0.3.143', null, '2026-11-29T07:49:34.000Z', '00:16:3e:aa:bb:cf', null],
    ]);
    expect(sut.warnings.map((w) => [w.line, w.reason])).toEqual([
      [3, 'bad expiry "not"'],
      [4, 'bad MAC address "zz:zz:zz:zz:zz:zz"'],
      [5, 'bad IPv4 address "10.0.3.999"'],
      [6, 'bad expiry "17959x8574"'],
    ]);
    expect(sut.skippedIpv6).toBe(2);
  });

  it('never throws, whatever the input', () => {
    const sut = parseLeaseFile('\u0000\n  \n1 2\n1 2 3 4 5 6\n', { source: '/f', bridge: null });
    expect(sut.warnings.map((w) => w.reason)).toEqual([
      'expected 4 or 5 fields, got 1',
      'expected 4 or 5 fields, got 2',
      'expected 4 or 5 fields, got 6',
    ]);
    expect(parseLeaseFile('', { source: '/f', bridge: null })).toEqual({ leases: [], skippedIpv6: 0, warnings: [] });
  });
});

describe('bridgeFromLeaseFile', () => {
  it('takes the bridge from dnsmasq.<bridge>.leases', () => {
    expect(bridgeFromLeaseFile('/var/lib/misc/dnsmasq.lxcbr0.leases')).toBe('lxcbr0');
    expect(bridgeFromLeaseFile('/var/lib/misc/dnsmasq.br-x.y.leases')).toBe('br-x.y');
    expect(bridgeFromLeaseFile('/var/lib/misc/dnsmasq.leases')).toBeNull();
  });
});
