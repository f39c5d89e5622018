import { describe, expect, it } from 'vitest';
import { runChecks } from '../doctor.service.js';
import { bridge, DNSMASQ_ARGV, healthy, lease, lxcContainer, NOW } from './facts.fixture.js';
import {
  bridgeDownOrBare,
  dnsmasqMissing,
  duplicateAddress,
  forwardDropped,
  ipForwardOff,
  leaseFileStale,
  lxcMissingBridge,
  masqueradeMissing,
  runningWithoutAddress,
} from './network.checks.js';

describe('network checks', () => {
  it('find nothing on a healthy host', () => {
    expect(runChecks(healthy())).toEqual([]);
  });

  it('ip_forward off with container bridges: sysctl, a safe repair', () => {
    const sut = ipForwardOff(healthy({ facts: { ipForward: false, runtimes: [] } }));
    expect(sut).toHaveLength(1);
    expect(sut[0]).toMatchObject({ id: 'ip-forward-off', severity: 'critical' });
    expect(sut[0]!.fix).toEqual({ command: 'sysctl -w net.ipv4.ip_forward=1', safe: true });
    expect(sut[0]!.repair).toEqual([['sysctl', '-w', 'net.ipv4.ip_forward=1']]);
  });

  it('ip_forward off without container bridges is no fault', () => {
    const f = healthy({ facts: { ipForward: false, runtimes: [] }, bridges: [], leases: [], leaseFiles: [] });
    f.containers = [];
    f.dnsmasq = [];
    expect(ipForwardOff(f)).toEqual([]);
  });

  it('a bridge down, and one without an address', () => {
    const down = bridgeDownOrBare(healthy({ bridges: [bridge('lxcbr0', { up: false, state: 'DOWN' })] }));
    expect(down.map((f) => f.id)).toEqual(['bridge-down:lxcbr0']);
    expect(down[0]!.fix).toEqual({ command: 'ip link set lxcbr0 up', safe: false });
    const bare = bridgeDownOrBare(healthy({ bridges: [bridge('lxcbr0', { addresses: [] })] }));
    expect(bare.map((f) => f.id)).toEqual(['bridge-no-address:lxcbr0']);
  });

  it('no dnsmasq on the bridge: restarts it with the command line it last ran with', () => {
    const sut = dnsmasqMissing(healthy({ dnsmasq: [], knownDnsmasq: new Map([['lxcbr0', DNSMASQ_ARGV]]) }));
    expect(sut.map((f) => f.id)).toEqual(['dnsmasq-missing:lxcbr0']);
    expect(sut[0]!.fix?.safe).toBe(true);
    expect(sut[0]!.repair).toEqual([DNSMASQ_ARGV.filter((a) => a !== '--keep-in-foreground')]);
    expect(sut[0]!.fix?.command).toContain('--interface=lxcbr0');
  });

  it('no dnsmasq on lxcbr0 and never seen: lxc-net restart', () => {
    const sut = dnsmasqMissing(healthy({ dnsmasq: [], lxcNetScript: '/usr/libexec/lxc/lxc-net' }));
    expect(sut[0]!.fix).toEqual({ command: '/usr/libexec/lxc/lxc-net restart', safe: true });
  });

  it('a dnsmasq range outside the bridge subnet', () => {
    const f = healthy();
    f.dnsmasq![0]!.ranges = [{ start: '10.0.4.2', end: '10.0.4.254' }];
    expect(dnsmasqMissing(f).map((x) => x.id)).toEqual(['dnsmasq-range:lxcbr0:10.0.4.2-10.0.4.254']);
  });

  it('a lease file not updated while its running container renews', () => {
    const expired = lease({ expiresAt: new Date(NOW.getTime() - 120_000).toISOString() });
    const sut = leaseFileStale(healthy({ leases: [expired] }));
    expect(sut.map((f) => f.id)).toEqual(['lease-file-stale:/var/lib/misc/dnsmasq.lxcbr0.leases']);
    // A stopped container's lease may expire: no finding.
    const stopped = healthy({ leases: [expired], containers: [lxcContainer('c1', { state: 'stopped' })] });
    expect(leaseFileStale(stopped)).toEqual([]);
  });

  it('no masquerade rule for a subnet: adds it with the iptables the host uses', () => {
    const f = healthy();
    f.firewall!.nat = ['-P POSTROUTING ACCEPT', '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE'];
    const sut = masqueradeMissing(f);
    expect(sut.map((x) => x.id)).toEqual(['masquerade-missing:10.0.3.0/24']);
    expect(sut[0]!.fix).toEqual({
      command: "iptables-nft -t nat -A POSTROUTING -s 10.0.3.0/24 '!' -d 10.0.3.0/24 -j MASQUERADE",
      safe: true,
    });
    expect(sut[0]!.repair![0]).toEqual([
      'iptables-nft',
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-s',
      '10.0.3.0/24',
      '!',
      '-d',
      '10.0.3.0/24',
      '-j',
      'MASQUERADE',
    ]);
  });

  it('a wider masquerade rule covers the subnet', () => {
    const f = healthy();
    f.firewall!.nat = ['-A POSTROUTING -s 10.0.0.0/8 -j MASQUERADE'];
    expect(masqueradeMissing(f)).toEqual([]);
  });

  it('FORWARD policy DROP without a rule for the bridge', () => {
    const f = healthy();
    f.firewall!.filter = ['-P FORWARD DROP', '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT'];
    expect(forwardDropped(f).map((x) => x.id)).toEqual(['forward-dropped:lxcbr0']);
    f.firewall!.filter.push('-A FORWARD -i lxcbr0 -j ACCEPT');
    expect(forwardDropped(f)).toEqual([]);
  });

  it('an LXC container linked to a bridge that does not exist', () => {
    const c = lxcContainer('c2', { state: 'stopped' }, null);
    c.networks[0]!.bridge = 'nosuchbr';
    const sut = lxcMissingBridge(healthy({ containers: [c] }));
    expect(sut.map((x) => x.id)).toEqual(['lxc-missing-bridge:/var/lib/lxc/c2:eth0']);
    expect(sut[0]!.message).toContain('nosuchbr');
  });

  it('a running container on a DHCP bridge without an address', () => {
    const sut = runningWithoutAddress(healthy({ containers: [lxcContainer('c1', {}, null)] }));
    expect(sut.map((x) => x.id)).toEqual(['no-address:lxc:/var/lib/lxc/c1:eth0']);
  });

  it('two holders of one IP on one bridge', () => {
    const sut = duplicateAddress(healthy({ containers: [lxcContainer('c1'), lxcContainer('c2')] }));
    expect(sut.map((x) => x.id)).toEqual(['duplicate-ip:lxcbr0:10.0.3.10']);
    expect(sut[0]!.message).toContain('c1, c2');
  });
});
