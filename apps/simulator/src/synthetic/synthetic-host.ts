import {
  type BridgeRecord,
  type ContainerRecord,
  type HostFacts,
  type ImageRecord,
  type Inventory,
  type LeaseRecord,
  type NetworkRecord,
  sampleDockerContainer,
  sampleFacts,
  sampleLease,
  sampleLxcContainer,
  type VolumeRecord,
} from '@corral/protocol';
import { hexId, mix, uuidFrom } from './hash.js';

export interface FleetShape {
  seed: number;
  containersPerHost: number;
  // Share of each host's containers that are LXC (the rest are Docker); every LXC container holds a lease.
  lxcShare: number;
  // Share of containers running when the fleet starts.
  runningShare: number;
}

export const DEFAULT_SHAPE: FleetShape = { seed: 1, containersPerHost: 50, lxcShare: 0.3, runningShare: 0.9 };

// Every host index gets its own block of 10.0.0.0/8, so addresses and MACs are unique across the fleet.
const MAX_ADDRESS_SPACE = 2 ** 24;
const BASE_TIME = Date.parse('2026-11-01T00:00:00.000Z');
const APPS = ['web', 'api', 'worker', 'cache', 'db', 'queue', 'proxy', 'cron'] as const;
const IMAGES = [
  { tag: 'nginx:1.27', size: 192_000_000 },
  { tag: 'postgres:16', size: 438_000_000 },
  { tag: 'redis:7', size: 117_000_000 },
  { tag: 'busybox:1.36', size: 4_300_000 },
] as const;
const LXC_PATH = sampleLxcContainer.lxcPath!;
const LEASE_FILE = sampleLease.source;

export function blockSize(containersPerHost: number): number {
  let size = 64;
  while (size < containersPerHost + 16) size *= 2;
  return size;
}

const ipv4 = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const macOf = (prefix: string, n: number, bytes: number) => {
  const parts: string[] = [];
  for (let b = bytes - 1; b >= 0; b--) parts.push(((n >>> (8 * b)) & 255).toString(16).padStart(2, '0'));
  return `${prefix}:${parts.join(':')}`;
};
const iso = (ms: number) => new Date(ms).toISOString();

// One simulated host: its records are rebuilt on demand from (seed, host index, record index) and a
// few bytes of mutable state per container and lease, so 10,000 hosts fit in a few tens of MiB.
export class SyntheticHost {
  readonly agentId: string;
  readonly hostname: string;
  readonly containerCount: number;
  readonly lxcCount: number;
  private readonly running: Uint8Array;
  private readonly startedAt: Float64Array;
  private readonly starts: Uint32Array;
  private readonly leaseExpiresAt: Float64Array;
  private readonly base: number;

  constructor(
    readonly shape: FleetShape,
    readonly index: number,
    now = Date.now(),
  ) {
    const block = blockSize(shape.containersPerHost);
    if ((index + 1) * block >= MAX_ADDRESS_SPACE) {
      throw new Error(`host index ${index} leaves 10.0.0.0/8 at ${shape.containersPerHost} containers per host`);
    }
    this.base = (10 << 24) + index * block;
    this.agentId = uuidFrom(shape.seed, index, 0xa6e7);
    this.hostname = `sim-${shape.seed}-${String(index).padStart(5, '0')}`;
    this.containerCount = shape.containersPerHost;
    this.lxcCount = Math.round(shape.containersPerHost * shape.lxcShare);
    this.running = new Uint8Array(this.containerCount);
    this.startedAt = new Float64Array(this.containerCount);
    this.starts = new Uint32Array(this.containerCount);
    this.leaseExpiresAt = new Float64Array(this.lxcCount);
    for (let j = 0; j < this.containerCount; j++) {
      this.running[j] = mix(shape.seed, index, j, 0x5747) / 2 ** 32 < shape.runningShare ? 1 : 0;
      this.startedAt[j] = BASE_TIME + 60_000 + (mix(shape.seed, index, j, 0x57a7) % 86_400_000);
    }
    // Leases spread over the next hour, as dnsmasq's would be.
    for (let k = 0; k < this.lxcCount; k++) {
      this.leaseExpiresAt[k] = now + 600_000 + (mix(shape.seed, index, k, 0x1ea5) % 3_000_000);
    }
  }

  get leaseCount(): number {
    return this.lxcCount;
  }

  // Containers [0, lxcCount) are LXC, the rest Docker.
  isLxc(j: number): boolean {
    return j < this.lxcCount;
  }

  isRunning(j: number): boolean {
    return this.running[j] === 1;
  }

  ipOf(j: number): string {
    return ipv4(this.base + 16 + j);
  }

  containerName(j: number): string {
    const app = APPS[mix(this.shape.seed, this.index, j, 0xa99) % APPS.length]!;
    return `${app}-h${this.index}-${j}`;
  }

  containerKey(j: number): string {
    return this.isLxc(j) ? `lxc:${LXC_PATH}/${this.containerName(j)}` : `docker:${this.dockerId(j)}`;
  }

  leaseKey(k: number): string {
    return `${LEASE_FILE}#${this.ipOf(k)}`;
  }

  leaseExpiry(k: number): number {
    return this.leaseExpiresAt[k]!;
  }

  // Starts a stopped container or stops a running one; returns whether it now runs.
  flipContainer(j: number, now = Date.now()): boolean {
    if (this.running[j] === 1) {
      this.running[j] = 0;
      return false;
    }
    this.running[j] = 1;
    this.startedAt[j] = now;
    this.starts[j]! += 1;
    return true;
  }

  // dnsmasq renews for another hour; milliseconds keep every renewal distinct.
  renewLease(k: number, now = Date.now()): number {
    this.leaseExpiresAt[k] = now + 3_600_000;
    return this.leaseExpiresAt[k]!;
  }

  container(j: number): ContainerRecord {
    return this.isLxc(j) ? this.lxcContainer(j) : this.dockerContainer(j);
  }

  lease(k: number): LeaseRecord {
    const mac = this.lxcMac(k);
    return {
      ...sampleLease,
      expiresAt: iso(this.leaseExpiresAt[k]!),
      mac,
      ip: this.ipOf(k),
      hostname: this.containerName(k),
      clientId: `01:${mac}`,
    };
  }

  facts(): HostFacts {
    const h = mix(this.shape.seed, this.index, 0xfac7);
    return {
      ...sampleFacts,
      hostname: this.hostname,
      cpuCount: 2 + (h % 4) * 2,
      memoryAvailableBytes: sampleFacts.memoryAvailableBytes - (h % 1_000_000) * 4096,
      uptimeSeconds: 3600 + (h % 1_000_000),
      runtimes: [
        { name: 'docker', available: true, version: '27.3.1', reason: null },
        { name: 'lxc', available: true, version: '5.0.2', reason: null },
      ],
    };
  }

  images(): ImageRecord[] {
    return IMAGES.map((image, k) => ({
      id: `sha256:${hexId(8, this.shape.seed, k, 0x1a6e)}`,
      tags: [image.tag],
      sizeBytes: image.size,
      createdAt: iso(BASE_TIME - (k + 1) * 86_400_000),
      labels: {},
    }));
  }

  volumes(): VolumeRecord[] {
    const docker = Math.min(3, this.containerCount - this.lxcCount);
    return Array.from({ length: docker }, (_, v) => ({
      name: `data-h${this.index}-${v}`,
      driver: 'local',
      mountpoint: `/var/lib/docker/volumes/data-h${this.index}-${v}/_data`,
      labels: { 'corral.sim': '1' },
      createdAt: iso(BASE_TIME),
      usedBy: [this.containerName(this.lxcCount + v)],
    }));
  }

  networks(): NetworkRecord[] {
    return [
      {
        id: hexId(8, this.shape.seed, this.index, 0x0e71),
        name: 'bridge',
        driver: 'bridge',
        scope: 'local',
        subnets: ['172.17.0.0/16'],
        gateways: ['172.17.0.1'],
        bridge: 'docker0',
        internal: false,
        labels: {},
        createdAt: iso(BASE_TIME),
      },
      {
        id: hexId(8, this.shape.seed, this.index, 0x0e72),
        name: 'app-net',
        driver: 'bridge',
        scope: 'local',
        subnets: [`${this.ipOf(-16)}/${32 - Math.log2(blockSize(this.containerCount))}`],
        gateways: [this.ipOf(-15)],
        bridge: 'br-app',
        internal: false,
        labels: { 'corral.sim': '1' },
        createdAt: iso(BASE_TIME),
      },
    ];
  }

  bridges(): BridgeRecord[] {
    const prefix = 32 - Math.log2(blockSize(this.containerCount));
    return [
      {
        name: 'lxcbr0',
        mac: macOf('00:16:3e', (this.index * 7919) & 0xffffff, 3),
        state: 'UP',
        up: true,
        mtu: 1500,
        addresses: [{ family: 'inet', address: this.ipOf(-15), prefixLength: prefix }],
        stp: false,
        interfaces: Array.from({ length: this.lxcCount }, (_, k) => `veth${hexId(1, this.index, k).slice(0, 6)}`),
      },
    ];
  }

  inventory(): Inventory {
    const containers: ContainerRecord[] = [];
    for (let j = 0; j < this.containerCount; j++) containers.push(this.container(j));
    const leases: LeaseRecord[] = [];
    for (let k = 0; k < this.lxcCount; k++) leases.push(this.lease(k));
    return {
      facts: this.facts(),
      containers,
      images: this.images(),
      volumes: this.volumes(),
      networks: this.networks(),
      bridges: this.bridges(),
      leases,
      findings: [],
    };
  }

  private dockerId(j: number): string {
    return hexId(8, this.shape.seed, this.index, j, 0xd0c);
  }

  private lxcMac(j: number): string {
    return macOf('00:16:3e', (this.base + 16 + j) & 0xffffff, 3);
  }

  private dockerContainer(j: number): ContainerRecord {
    const name = this.containerName(j);
    const app = name.slice(0, name.indexOf('-'));
    const image = IMAGES[mix(this.shape.seed, this.index, j, 0x1) % IMAGES.length]!;
    const imageIndex = IMAGES.indexOf(image);
    const ip = this.ipOf(j);
    const mac = macOf('02:42', this.base + 16 + j, 4);
    const running = this.running[j] === 1;
    const volume = j - this.lxcCount;
    return {
      ...sampleDockerContainer,
      id: this.dockerId(j),
      name,
      image: image.tag,
      imageId: `sha256:${hexId(8, this.shape.seed, imageIndex, 0x1a6e)}`,
      state: running ? 'running' : 'exited',
      status: running ? 'running' : 'exited (0)',
      createdAt: iso(BASE_TIME + j * 1000),
      startedAt: iso(this.startedAt[j]!),
      labels: {
        app,
        'com.docker.compose.project': `stack-${this.index % 50}`,
        'com.docker.compose.service': app,
        env: this.index % 5 === 0 ? 'staging' : 'prod',
        'corral.sim': '1',
      },
      ports: j % 4 === 0 ? [{ privatePort: 80, publicPort: 8000 + j, protocol: 'tcp', hostIp: '0.0.0.0' }] : [],
      mounts:
        volume < 3
          ? [
              {
                type: 'volume',
                name: `data-h${this.index}-${volume}`,
                source: `/var/lib/docker/volumes/data-h${this.index}-${volume}/_data`,
                destination: '/data',
                readOnly: false,
              },
            ]
          : [],
      networks: [{ name: 'app-net', ipv4: ip, ipv6: null, mac, bridge: 'br-app' }],
      ipv4: [ip],
      restartPolicy: 'unless-stopped',
      pid: running ? 1000 + (mix(this.index, j, this.starts[j]!) % 4_000_000) : null,
    };
  }

  private lxcContainer(j: number): ContainerRecord {
    const name = this.containerName(j);
    const ip = this.ipOf(j);
    const running = this.running[j] === 1;
    return {
      ...sampleLxcContainer,
      id: name,
      name,
      state: running ? 'running' : 'stopped',
      networks: [{ name: 'eth0', ipv4: ip, ipv6: null, mac: this.lxcMac(j), bridge: 'lxcbr0' }],
      ipv4: running ? [ip] : [],
      pid: running ? 1000 + (mix(this.index, j, this.starts[j]!) % 4_000_000) : null,
      autostart: j % 2 === 0,
      groups: [name.slice(0, name.indexOf('-'))],
      memoryBytes: running ? sampleLxcContainer.memoryBytes : null,
    };
  }
}
