import type { ContainerRecord, HostFacts, LeaseRecord } from './records.js';

// Realistic records, shared by the protocol's tests and the apps' unit tests.
export const sampleFacts: HostFacts = {
  hostname: 'h1',
  os: 'Debian GNU/Linux 12 (bookworm)',
  kernel: '6.1.0-18-amd64',
  arch: 'x64',
  cpuCount: 2,
  cpuModel: 'Intel Xeon',
  memoryTotalBytes: 25_000_000_000,
  memoryAvailableBytes: 23_000_000_000,
  disks: [{ path: '/var/lib/docker', totalBytes: 252_000_000_000, availableBytes: 80_000_000_000 }],
  uptimeSeconds: 3600.5,
  ipForward: true,
  runtimes: [
    { name: 'docker', available: true, version: '20.10.24', reason: null },
    { name: 'lxc', available: false, version: null, reason: 'lxc-ls not found' },
  ],
  lxcTemplates: ['busybox', 'download'],
};

export const sampleDockerContainer: ContainerRecord = {
  runtime: 'docker',
  id: '3f4e2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f',
  name: 'web-1',
  lxcPath: null,
  image: 'corral-test/busybox:latest',
  imageId: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  command: 'sleep 3600',
  state: 'running',
  status: 'running',
  createdAt: '2026-11-29T07:00:00.000Z',
  startedAt: '2026-11-29T07:00:01.000Z',
  labels: { 'corral.test': '1', app: 'web' },
  ports: [{ privatePort: 80, publicPort: 8080, protocol: 'tcp', hostIp: '0.0.0.0' }],
  mounts: [
    {
      type: 'volume',
      name: 'data',
      source: '/var/lib/docker/volumes/data/_data',
      destination: '/data',
      readOnly: false,
    },
  ],
  networks: [{ name: 'bridge', ipv4: '172.17.0.2', ipv6: null, mac: '02:42:ac:11:00:02', bridge: 'docker0' }],
  ipv4: ['172.17.0.2'],
  ipv6: [],
  restartPolicy: 'no',
  pid: 1234,
  autostart: null,
  groups: [],
  memoryBytes: null,
};

export const sampleLxcContainer: ContainerRecord = {
  runtime: 'lxc',
  id: 'c1',
  name: 'c1',
  lxcPath: '/var/lib/lxc',
  image: null,
  imageId: null,
  command: null,
  state: 'running',
  status: null,
  createdAt: null,
  startedAt: null,
  labels: {},
  ports: [],
  mounts: [],
  networks: [{ name: 'eth0', ipv4: '10.0.3.55', ipv6: null, mac: '00:16:3e:aa:bb:cc', bridge: 'lxcbr0' }],
  ipv4: ['10.0.3.55'],
  ipv6: [],
  restartPolicy: null,
  pid: 4321,
  autostart: false,
  groups: ['web'],
  memoryBytes: 1_060_864,
};

export const sampleLease: LeaseRecord = {
  source: '/var/lib/misc/dnsmasq.lxcbr0.leases',
  bridge: 'lxcbr0',
  expiresAt: '2026-11-29T08:00:00.000Z',
  mac: '00:16:3e:aa:bb:cc',
  ip: '10.0.3.55',
  hostname: 'c1',
  clientId: '01:00:16:3e:aa:bb:cc',
};
