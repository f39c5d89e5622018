import { describe, expect, it } from 'vitest';
import { parseDnsmasqArgv } from './dnsmasq.parser.js';
import { chainPolicy, forwardAccepts, natCovers, parseIptablesRules } from './iptables.parser.js';

describe('iptables -S', () => {
  const nat = [
    '-P POSTROUTING ACCEPT',
    '-N DOCKER',
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
    '-A POSTROUTING -m comment --comment "keep it" -s 10.9.0.0/16 -j SNAT --to-source 1.2.3.4',
  ];

  it('reads rules with negations, quoted comments and targets', () => {
    const sut = parseIptablesRules(nat);
    expect(sut).toHaveLength(2);
    expect(sut[0]!.options.get('-o')).toEqual({ value: 'docker0', negated: true });
    expect(sut[1]!.target).toBe('SNAT');
  });

  it('tells which subnets have NAT', () => {
    const rules = parseIptablesRules(nat);
    expect(natCovers(rules, '172.17.0.0/16')).toBe(true);
    expect(natCovers(rules, '10.9.3.0/24')).toBe(true);
    expect(natCovers(rules, '10.0.3.0/24')).toBe(false);
    expect(natCovers(parseIptablesRules(['-A POSTROUTING ! -s 10.0.3.0/24 -j MASQUERADE']), '10.0.3.0/24')).toBe(false);
  });

  it('reads the FORWARD policy and the rules letting a bridge through', () => {
    const filter = ['-P FORWARD DROP', '-A DOCKER-FORWARD -i docker0 -j ACCEPT', '-A FORWARD ! -i br0 -j ACCEPT'];
    expect(chainPolicy(filter, 'FORWARD')).toBe('DROP');
    const rules = parseIptablesRules(filter);
    expect(forwardAccepts(rules, 'docker0')).toBe(true);
    expect(forwardAccepts(rules, 'br0')).toBe(false);
  });
});

describe('dnsmasq command lines', () => {
  it('reads interfaces, ranges and the lease file in both option forms', () => {
    const sut = parseDnsmasqArgv(7, [
      'dnsmasq',
      '-u',
      'dnsmasq',
      '--interface=lxcbr0',
      '-i',
      'cbr1',
      '--dhcp-range',
      '10.0.3.2,10.0.3.254',
      '--dhcp-range=set:x,10.1.0.10,10.1.0.20,1h',
      '--dhcp-leasefile=/var/lib/misc/dnsmasq.lxcbr0.leases',
    ]);
    expect(sut.interfaces).toEqual(['lxcbr0', 'cbr1']);
    expect(sut.ranges).toEqual([
      { start: '10.0.3.2', end: '10.0.3.254' },
      { start: '10.1.0.10', end: '10.1.0.20' },
    ]);
    expect(sut.leaseFile).toBe('/var/lib/misc/dnsmasq.lxcbr0.leases');
  });
});
