import type { BridgeRecord, ContainerRecord, LeaseRecord } from '@corral/protocol';
import type { DoctorFacts } from '../doctor.facts.js';

// A healthy LXC host: lxcbr0 up with 10.0.3.1/24, dnsmasq serving it, forwarding on, NAT and FORWARD
// rules as lxc-net sets them. Tests break one thing at a time.
export const NOW = new Date('2026-12-06T10:00:00Z');

export function bridge(name: string, over: Partial<BridgeRecord> = {}): BridgeRecord {
  return {
    name,
    mac: '00:16:3e:00:00:01',
    state: 'UP',
    up: true,
    mtu: 1500,
    addresses: [{ family: 'inet', address: '10.0.3.1', prefixLength: 24 }],
    stp: false,
    interfaces: [],
    ...over,
  };
}

export function lxcContainer(
  name: string,
  over: Partial<ContainerRecord> = {},
  ip: string | null = '10.0.3.10',
): ContainerRecord {
  return {
    runtime: 'lxc',
    id: name,
    name,
    lxcPath: '/var/lib/lxc',
    image: null,
    imageId: null,
    command: null,
    state: 'running',
    status: 'RUNNING',
    createdAt: null,
    startedAt: null,
    labels: {},
    ports: [],
    mounts: [],
    networks: [{ name: 'eth0', ipv4: ip, ipv6: null, mac: '00:16:3e:aa:bb:cc', bridge: 'lxcbr0' }],
    ipv4: ip ? [ip] : [],
    ipv6: [],
    restartPolicy: null,
    pid: 100,
    autostart: false,
    groups: [],
    memoryBytes: null,
    ...over,
  };
}

export function lease(over: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    source: '/var/lib/misc/dnsmasq.lxcbr0.leases',
    bridge: 'lxcbr0',
    expiresAt: new Date(NOW.getTime() + 3_600_000).toISOString(),
    mac: '00:16:3e:aa:bb:cc',
    ip: '10.0.3.10',
    hostname: 'c1',
    clientId: null,
    ...over,
  };
}

export const DNSMASQ_ARGV = [
  'dnsmasq',
  '--conf-file=/dev/null',
  '--keep-in-foreground',
  '--interface=lxcbr0',
  '--dhcp-range',
  '10.0.3.2,10.0.3.254',
  '--dhcp-leasefile=/var/lib/misc/dnsmasq.lxcbr0.leases',
];

export function healthy(over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    now: NOW,
    facts: { ipForward: true, runtimes: [{ name: 'docker', available: true, version: '20.10', reason: null }] },
    containers: [lxcContainer('c1')],
    volumes: [],
    networks: [],
    bridges: [bridge('lxcbr0')],
    leases: [lease()],
    leaseFiles: [{ path: '/var/lib/misc/dnsmasq.lxcbr0.leases', bridge: 'lxcbr0', modifiedAt: NOW }],
    dnsmasq: [
      {
        pid: 42,
        argv: DNSMASQ_ARGV,
        interfaces: ['lxcbr0'],
        ranges: [{ start: '10.0.3.2', end: '10.0.3.254' }],
        leaseFile: '/var/lib/misc/dnsmasq.lxcbr0.leases',
      },
    ],
    knownDnsmasq: new Map(),
    lxcNetScript: null,
    firewall: {
      tool: 'iptables-nft',
      nat: ['-P POSTROUTING ACCEPT', '-A POSTROUTING -s 10.0.3.0/24 ! -d 10.0.3.0/24 -j MASQUERADE'],
      filter: ['-P FORWARD ACCEPT', '-A FORWARD -i lxcbr0 -j ACCEPT', '-A FORWARD -o lxcbr0 -j ACCEPT'],
    },
    docker: { socket: '/var/run/docker.sock', socketExists: true },
    disks: [{ path: '/var/lib/lxc', role: 'lxcpath', totalBytes: 1000, availableBytes: 500 }],
    ...over,
  };
}
