import type {
  BridgeRecord,
  ContainerRecord,
  HostFacts,
  ImageRecord,
  LeaseRecord,
  NetworkRecord,
  Snapshot,
  VolumeRecord,
} from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryService } from '../../apps/controller/src/services/inventory.service.js';
import { startTestController, type TestController } from '../support/controller.js';

// ---- fixtures: two hosts that reuse 10.0.3.0/24 (lxcbr0) and 172.17.0.0/16 (docker0) ----------

const facts = (hostname: string): HostFacts => ({
  hostname,
  os: 'Debian GNU/Linux 12 (bookworm)',
  kernel: '6.1.0-18-amd64',
  arch: 'x64',
  cpuCount: 4,
  cpuModel: 'Intel Xeon',
  memoryTotalBytes: 8_000_000_000,
  memoryAvailableBytes: 6_000_000_000,
  disks: [{ path: '/var/lib/docker', totalBytes: 100_000_000_000, availableBytes: 60_000_000_000 }],
  uptimeSeconds: 7200,
  ipForward: true,
  runtimes: [
    { name: 'docker', available: true, version: '20.10.24', reason: null },
    { name: 'lxc', available: true, version: '5.0.2', reason: null },
  ],
});

const docker = (name: string, over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  runtime: 'docker',
  id: `${name.replace(/[^a-z0-9]/g, '')}${'0'.repeat(64)}`.slice(0, 64),
  name,
  lxcPath: null,
  image: 'corral-test/busybox:latest',
  imageId: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  command: 'sleep 3600',
  state: 'running',
  status: 'Up 2 minutes',
  createdAt: '2026-11-29T07:00:00.000Z',
  startedAt: '2026-11-29T07:00:01.000Z',
  labels: { 'corral.test': '1' },
  ports: [],
  mounts: [],
  networks: [],
  ipv4: [],
  ipv6: [],
  restartPolicy: 'no',
  pid: 4242,
  autostart: null,
  groups: [],
  memoryBytes: null,
  ...over,
});

const lxc = (name: string, over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  ...docker(name),
  runtime: 'lxc',
  id: name,
  lxcPath: '/var/lib/lxc',
  image: null,
  imageId: null,
  command: null,
  status: null,
  createdAt: null,
  startedAt: null,
  labels: {},
  restartPolicy: null,
  pid: null,
  autostart: true,
  ...over,
});

const nic = (name: string, ipv4: string | null, mac: string, bridge: string, ipv6: string | null = null) => ({
  name,
  ipv4,
  ipv6,
  mac,
  bridge,
});

const image = (id: string, tags: string[], sizeBytes: number): ImageRecord => ({
  id,
  tags,
  sizeBytes,
  createdAt: '2026-11-01T00:00:00.000Z',
  labels: {},
});

const volume = (name: string, usedBy: string[] = []): VolumeRecord => ({
  name,
  driver: 'local',
  mountpoint: `/var/lib/docker/volumes/${name}/_data`,
  labels: { 'com.example.backup': 'daily' },
  createdAt: '2026-11-02T00:00:00.000Z',
  usedBy,
});

const network = (id: string, name: string, subnets: string[], bridge: string | null): NetworkRecord => ({
  id,
  name,
  driver: 'bridge',
  scope: 'local',
  subnets,
  gateways: [],
  bridge,
  internal: false,
  labels: {},
  createdAt: '2026-11-02T00:00:00.000Z',
});

const br = (name: string, addresses: BridgeRecord['addresses'], up = true): BridgeRecord => ({
  name,
  mac: '00:16:3e:00:00:00',
  state: up ? 'UP' : 'DOWN',
  up,
  mtu: 1500,
  addresses,
  stp: false,
  interfaces: [],
});

const lease = (source: string, ip: string, mac: string, hostname: string | null): LeaseRecord => ({
  source,
  bridge: 'lxcbr0',
  expiresAt: '2026-12-01T00:00:00.000Z',
  mac,
  ip,
  hostname,
  clientId: null,
});

const LEASES = '/var/lib/misc/dnsmasq.lxcbr0.leases';

const snapshotA: Snapshot = {
  type: 'snapshot',
  seq: 1,
  facts: facts('node-a'),
  containers: [
    docker('web-1', {
      labels: { app: 'web', 'corral.test': '1' },
      networks: [nic('bridge', '172.17.0.2', '02:42:ac:11:00:02', 'docker0')],
      ipv4: ['172.17.0.2'],
      memoryBytes: 52_428_800,
      ports: [{ privatePort: 80, publicPort: 8080, protocol: 'tcp', hostIp: '0.0.0.0' }],
      mounts: [{ type: 'volume', name: 'data', source: null, destination: '/data', readOnly: false }],
    }),
    docker('db', { state: 'exited', status: 'Exited (0) 1 hour ago', labels: { app: 'db' } }),
    ...Array.from({ length: 10 }, (_, i) => docker(`job-${String(i).padStart(2, '0')}`, { state: 'exited' })),
    lxc('c1', { networks: [nic('eth0', '10.0.3.55', '00:16:3e:aa:bb:01', 'lxcbr0')], ipv4: ['10.0.3.55'] }),
    lxc('c2', { state: 'stopped', autostart: false }),
  ],
  images: [
    image(
      'sha256:1111111111111111111111111111111111111111111111111111111111111111',
      ['corral-test/busybox:latest'],
      4_400_000,
    ),
    image(
      'sha256:2222222222222222222222222222222222222222222222222222222222222222',
      ['alpine:3.19', 'alpine:latest'],
      7_300_000,
    ),
  ],
  volumes: [volume('data', ['web-1']), volume('logs')],
  networks: [
    network('n'.repeat(64), 'bridge', ['172.17.0.0/16'], 'docker0'),
    network('m'.repeat(64), 'corral-v6', ['172.30.0.0/24', 'fd00:c0::/64'], 'br-corral'),
  ],
  bridges: [
    br('lxcbr0', [{ family: 'inet', address: '10.0.3.1', prefixLength: 24 }]),
    br('docker0', [{ family: 'inet', address: '172.17.0.1', prefixLength: 16 }]),
  ],
  leases: [
    lease(LEASES, '10.0.3.55', '00:16:3e:aa:bb:01', 'c1'),
    lease(LEASES, '10.0.3.101', '00:16:3e:aa:bb:02', 'c2'),
  ],
};

const snapshotB: Snapshot = {
  type: 'snapshot',
  seq: 1,
  facts: facts('node-b'),
  containers: [
    lxc('c1', { networks: [nic('eth0', '10.0.3.55', '00:16:3e:cc:dd:01', 'lxcbr0')], ipv4: ['10.0.3.55'] }),
    docker('web-2', {
      labels: { app: 'web-frontend' },
      networks: [nic('bridge', '172.17.0.3', '02:42:ac:11:00:03', 'docker0')],
      ipv4: ['172.17.0.3'],
    }),
    docker('api', {
      networks: [nic('corral-v6', null, '02:42:ac:1e:00:05', 'br-corral', 'fd00:c0::5')],
      ipv6: ['fd00:c0::5'],
    }),
  ],
  images: [
    image(
      'sha256:1111111111111111111111111111111111111111111111111111111111111111',
      ['corral-test/busybox:latest'],
      4_400_000,
    ),
  ],
  volumes: [volume('cache')],
  networks: [network('n'.repeat(64), 'bridge', ['172.17.0.0/16'], 'docker0')],
  bridges: [br('lxcbr0', [{ family: 'inet', address: '10.0.3.1', prefixLength: 24 }], false)],
  leases: [lease(LEASES, '10.0.3.55', '00:16:3e:cc:dd:01', 'c1')],
};

// ---- helpers -------------------------------------------------------------------------------

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface Row {
  id: string;
  hostId: string;
  hostname: string;
  stale: boolean;
  [field: string]: unknown;
}
interface ApiError {
  error: string;
  message: string;
  field?: string;
}

describe('read API /api/v1', () => {
  let ctl: TestController;
  let hostA: string;
  let hostB: string;

  const list = async (path: string) => {
    const res = await ctl.get<Page<Row>>(path);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items;
  };

  // Every item of the filtered list, compared with the unfiltered list filtered here.
  const expectFilter = async (resource: string, query: string, keep: (row: Row) => boolean, atLeast = 1) => {
    const all = await list(`/api/v1/${resource}?limit=1000`);
    const filtered = await list(`/api/v1/${resource}?limit=1000&${query}`);
    const expected = all.filter(keep).map((r) => r.id);
    expect(expected.length, `${resource}?${query} needs matching fixtures`).toBeGreaterThanOrEqual(atLeast);
    expect(expected.length, `${resource}?${query} must narrow`).toBeLessThan(all.length);
    expect(filtered.map((r) => r.id)).toEqual(expected);
  };

  const expectBadRequest = async (path: string, field: string) => {
    const res = await ctl.get<ApiError>(path);
    expect(res.status, `${path} -> ${JSON.stringify(res.body)}`).toBe(400);
    expect(res.body.error).toBe('bad_request');
    expect(res.body.field).toBe(field);
    expect(res.body.message).toContain(field);
  };

  beforeAll(async () => {
    ctl = await startTestController({ CORRAL_OFFLINE_GRACE_MS: '600000' });
    const now = new Date();
    const a = await ctl.prisma.host.create({
      data: {
        agentId: 'agent-node-a-0001',
        hostname: 'node-a',
        status: 'online',
        agentVersion: '0.1.0',
        protocolVersion: '1.0',
        connectedAt: now,
        lastSeenAt: now,
        labels: { rack: 'r1', zone: 'eu-west' },
      },
    });
    const b = await ctl.prisma.host.create({
      data: {
        agentId: 'agent-node-b-0002',
        hostname: 'node-b',
        status: 'offline',
        agentVersion: '0.1.0',
        protocolVersion: '1.0',
        connectedAt: now,
        lastSeenAt: now,
        offlineAt: now,
        labels: { rack: 'r2' },
      },
    });
    hostA = a.id;
    hostB = b.id;
    const inventory = ctl.app.get(InventoryService);
    await inventory.applySnapshot(hostA, snapshotA);
    await inventory.applySnapshot(hostB, snapshotB);
  });

  afterAll(async () => {
    await ctl?.close();
  });

  describe('hosts', () => {
    it('lists hosts with status, facts and per-table counts', async () => {
      const hosts = await list('/api/v1/hosts');
      expect(hosts.map((h) => h.hostname)).toEqual(['node-a', 'node-b']);
      const [a, b] = hosts;
      expect(a).toMatchObject({
        id: hostA,
        agentId: 'agent-node-a-0001',
        status: 'online',
        stale: false,
        offlineAt: null,
        labels: { rack: 'r1', zone: 'eu-west' },
        counts: { containers: 14, images: 2, volumes: 2, networks: 2, bridges: 2, leases: 2 },
      });
      expect((a!.facts as HostFacts).cpuCount).toBe(4);
      expect(a!.runtimes).toHaveLength(2);
      expect(b).toMatchObject({
        id: hostB,
        status: 'offline',
        stale: true,
        counts: { containers: 3, images: 1, volumes: 1, networks: 1, bridges: 1, leases: 1 },
      });
      expect(typeof b!.offlineAt).toBe('string');
      expect(a).not.toHaveProperty('lastSeq');
    });

    it('gets one host by id and filters by name, label, status and stale', async () => {
      const one = await ctl.get<Row>(`/api/v1/hosts/${hostB}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ id: hostB, hostname: 'node-b', stale: true });
      expect((await list('/api/v1/hosts?stale=true')).map((h) => h.hostname)).toEqual(['node-b']);
      expect((await list('/api/v1/hosts?stale=false')).map((h) => h.hostname)).toEqual(['node-a']);
      expect((await list('/api/v1/hosts?status=online')).map((h) => h.hostname)).toEqual(['node-a']);
      expect((await list('/api/v1/hosts?name=NODE')).map((h) => h.hostname)).toEqual(['node-a', 'node-b']);
      expect((await list('/api/v1/hosts?name=-b')).map((h) => h.hostname)).toEqual(['node-b']);
      expect((await list('/api/v1/hosts?label=ZONE=eu')).map((h) => h.hostname)).toEqual(['node-a']);
      expect((await list('/api/v1/hosts?label=rack=r2')).map((h) => h.hostname)).toEqual(['node-b']);
    });
  });

  describe('inventory rows', () => {
    it('shapes a container in API naming, with numbers instead of BigInt and no internal columns', async () => {
      const [web] = await list('/api/v1/containers?name=web-1');
      expect(web).toMatchObject({
        hostId: hostA,
        hostname: 'node-a',
        runtime: 'docker',
        name: 'web-1',
        state: 'running',
        labels: { app: 'web', 'corral.test': '1' },
        ipv4: ['172.17.0.2'],
        memoryBytes: 52_428_800,
        createdAt: '2026-11-29T07:00:00.000Z',
        stale: false,
      });
      expect(web!.engineId).toMatch(/^web1/);
      expect(web!.ports).toEqual([{ privatePort: 80, publicPort: 8080, protocol: 'tcp', hostIp: '0.0.0.0' }]);
      expect(typeof web!.observedAt).toBe('string');
      for (const internal of ['key', 'labelText', 'macs']) expect(web).not.toHaveProperty(internal);

      const [img] = await list('/api/v1/images?name=alpine');
      expect(img).toMatchObject({ engineId: expect.stringMatching(/^sha256:2/), sizeBytes: 7_300_000 });
      const [lease] = await list('/api/v1/leases?name=c2');
      expect(lease).toMatchObject({ ip: '10.0.3.101', clientHostname: 'c2', hostname: 'node-a', source: LEASES });
      const [bridge] = await list(`/api/v1/bridges?host=${hostB}`);
      expect(bridge).toMatchObject({ name: 'lxcbr0', up: false, stale: true, addresses: [{ address: '10.0.3.1' }] });
      const [vol] = await list('/api/v1/volumes?name=data');
      expect(vol).toMatchObject({ name: 'data', usedBy: ['web-1'], labels: { 'com.example.backup': 'daily' } });
      const [net] = await list('/api/v1/networks?name=v6');
      expect(net).toMatchObject({ name: 'corral-v6', subnets: ['172.30.0.0/24', 'fd00:c0::/64'] });
    });

    it('gets every kind by id, and answers 404 for an unknown id', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      for (const resource of ['hosts', 'containers', 'images', 'volumes', 'networks', 'bridges', 'leases']) {
        const [first] = await list(`/api/v1/${resource}?limit=1`);
        const one = await ctl.get<Row>(`/api/v1/${resource}/${first!.id}`);
        expect(one.status).toBe(200);
        // One volume also carries the volume guard's history of it.
        expect(one.body).toEqual(resource === 'volumes' ? { ...first, history: expect.any(Array) } : first);
        const gone = await ctl.get<ApiError>(`/api/v1/${resource}/${missing}`);
        expect(gone.status).toBe(404);
        expect(gone.body.error).toBe('not_found');
        expect(gone.body.message).toContain(missing);
      }
    });
  });

  describe('filters', () => {
    it('narrows containers by host, runtime, state, name, label, ip, mac and stale', async () => {
      await expectFilter('containers', 'host=node-b', (r) => r.hostId === hostB);
      await expectFilter('containers', 'host=NODE-A', (r) => r.hostId === hostA);
      await expectFilter('containers', `host=${hostB}`, (r) => r.hostId === hostB);
      await expectFilter('containers', 'runtime=lxc', (r) => r.runtime === 'lxc', 3);
      await expectFilter('containers', 'state=stopped', (r) => r.state === 'stopped');
      await expectFilter(
        'containers',
        'state=running,stopped',
        (r) => ['running', 'stopped'].includes(r.state as string),
        5,
      );
      await expectFilter('containers', 'state=running&state=stopped', (r) =>
        ['running', 'stopped'].includes(r.state as string),
      );
      await expectFilter('containers', 'name=WEB', (r) => (r.name as string).includes('web'), 2);
      await expectFilter(
        'containers',
        'label=app=web',
        (r) => (r.labels as Record<string, string>).app?.startsWith('web') === true,
        2,
      );
      await expectFilter('containers', 'label=APP=DB', (r) => (r.labels as Record<string, string>).app === 'db');
      await expectFilter('containers', 'label=corral.test', (r) => 'corral.test' in (r.labels as object), 2);
      await expectFilter('containers', 'ip=10.0.3.55', (r) => (r.ipv4 as string[]).includes('10.0.3.55'), 2);
      await expectFilter('containers', 'ip=FD00:C0::5', (r) => (r.ipv6 as string[]).includes('fd00:c0::5'));
      await expectFilter('containers', 'mac=00-16-3E-AA-BB-01', (r) => r.hostId === hostA && r.name === 'c1');
      await expectFilter('containers', 'stale=true', (r) => r.hostId === hostB, 3);
      await expectFilter('containers', 'stale=false', (r) => r.hostId === hostA, 14);
      await expectFilter('containers', 'host=node-a&runtime=docker&state=running', (r) => r.name === 'web-1');
    });

    it('narrows the other kinds by the filters that apply to them', async () => {
      await expectFilter('images', 'host=node-b', (r) => r.hostId === hostB);
      await expectFilter('images', 'name=alpine:3', (r) => (r.tags as string[]).includes('alpine:3.19'));
      await expectFilter('images', 'stale=true', (r) => r.stale);
      await expectFilter('volumes', 'label=backup=daily&host=node-a', (r) => r.hostId === hostA, 2);
      await expectFilter('volumes', 'name=CACHE', (r) => r.name === 'cache');
      await expectFilter('networks', 'name=corral', (r) => r.name === 'corral-v6');
      await expectFilter('networks', 'stale=false', (r) => !r.stale, 2);
      await expectFilter('bridges', 'ip=172.17.0.1', (r) => r.name === 'docker0');
      await expectFilter('bridges', 'name=lxc', (r) => r.name === 'lxcbr0', 2);
      await expectFilter('leases', 'ip=10.0.3.101', (r) => r.ip === '10.0.3.101');
      await expectFilter('leases', 'mac=00:16:3e:cc:dd:01', (r) => r.hostId === hostB);
      await expectFilter('leases', 'host=node-a', (r) => r.hostId === hostA, 2);
      await expectFilter('leases', 'name=c1', (r) => r.clientHostname === 'c1', 2);
    });

    it('treats LIKE wildcards in a substring literally', async () => {
      expect(await list('/api/v1/containers?name=%25')).toEqual([]);
      expect(await list('/api/v1/containers?name=job_0')).toEqual([]);
      expect(await list('/api/v1/containers?name=job-0')).toHaveLength(10);
    });
  });

  describe('pagination', () => {
    it('walks every row exactly once, in (name, id) order, with a small limit', async () => {
      const all = await list('/api/v1/containers?limit=1000');
      expect(all).toHaveLength(17);
      for (const limit of [1, 2, 5]) {
        const seen: Row[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const q: string = cursor ? `&cursor=${cursor}` : '';
          const res = await ctl.get<Page<Row>>(`/api/v1/containers?limit=${limit}${q}`);
          expect(res.status).toBe(200);
          expect(res.body.items.length).toBeLessThanOrEqual(limit);
          seen.push(...res.body.items);
          cursor = res.body.nextCursor;
          pages++;
        } while (cursor && pages < 100);
        expect(seen.map((r) => r.id)).toEqual(all.map((r) => r.id));
        expect(new Set(seen.map((r) => r.id)).size).toBe(17);
      }
      // c1 exists on both hosts: the id breaks the tie.
      const c1s = all.filter((r) => r.name === 'c1');
      expect(c1s).toHaveLength(2);
      expect(c1s[0]!.id < c1s[1]!.id).toBe(true);
      const names = all.map((r) => r.name as string);
      expect(names.indexOf('api')).toBe(0);
    });

    it('keeps filters across pages and ends with a null cursor', async () => {
      const first = await ctl.get<Page<Row>>('/api/v1/containers?state=exited&limit=7');
      expect(first.body.items).toHaveLength(7);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await ctl.get<Page<Row>>(
        `/api/v1/containers?state=exited&limit=7&cursor=${first.body.nextCursor}`,
      );
      expect(second.body.items.map((r) => r.state)).toEqual(['exited', 'exited', 'exited', 'exited']);
      expect(second.body.nextCursor).toBeNull();
    });

    it('orders hosts by hostname, leases by ip and images by engine id', async () => {
      const leases = await list('/api/v1/leases');
      expect(leases.map((l) => l.ip)).toEqual(['10.0.3.101', '10.0.3.55', '10.0.3.55']);
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: Page<Row> } = await ctl.get<Page<Row>>(
          `/api/v1/leases?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        );
        walked.push(...res.body.items.map((l) => l.id));
        cursor = res.body.nextCursor;
      } while (cursor && walked.length < 100);
      expect(walked).toEqual(leases.map((l) => l.id));
      const images = await list('/api/v1/images');
      expect(images.map((i) => (i.engineId as string).slice(0, 8))).toEqual(['sha256:1', 'sha256:1', 'sha256:2']);
    });
  });

  describe('bad requests', () => {
    it('answers 400 naming the parameter', async () => {
      await expectBadRequest('/api/v1/containers?limit=0', 'limit');
      await expectBadRequest('/api/v1/containers?limit=1001', 'limit');
      await expectBadRequest('/api/v1/containers?limit=ten', 'limit');
      await expectBadRequest('/api/v1/containers?cursor=not*base64', 'cursor');
      await expectBadRequest(`/api/v1/containers?cursor=${Buffer.from('["a","b"]').toString('base64url')}`, 'cursor');
      await expectBadRequest('/api/v1/containers?state=running,sleeping', 'state');
      await expectBadRequest('/api/v1/containers?runtime=kvm', 'runtime');
      await expectBadRequest('/api/v1/containers?stale=maybe', 'stale');
      await expectBadRequest('/api/v1/containers?ip=10.0.3.256', 'ip');
      await expectBadRequest('/api/v1/leases?mac=zz:zz', 'mac');
      await expectBadRequest('/api/v1/containers?host=a&host=b', 'host');
      await expectBadRequest('/api/v1/hosts/a%01b', 'id');
      await expectBadRequest('/api/v1/containers/%00', 'id');
      await expectBadRequest('/api/v1/bridges/not-a-uuid', 'id');
      await expectBadRequest('/api/v1/ip/10.0.3', 'address');
    });

    it('answers 404 naming what it looked for when no host or row has that name', async () => {
      const host = await ctl.get<ApiError>('/api/v1/hosts/not-a-host');
      expect(host.status).toBe(404);
      expect(host.body.message).toMatch(/no host is named or has the id "not-a-host"/);
      expect((await ctl.get<ApiError>('/api/v1/containers/123')).status).toBe(404);
      const byName = await ctl.get<{ id: string; hostname: string }>('/api/v1/hosts/NODE-A');
      expect(byName.status).toBe(200);
      expect(byName.body.hostname).toBe('node-a');
    });

    it('rejects unknown parameters and filters that do not apply to a resource', async () => {
      await expectBadRequest('/api/v1/containers?colour=blue', 'colour');
      await expectBadRequest('/api/v1/images?runtime=docker', 'runtime');
      await expectBadRequest('/api/v1/volumes?ip=10.0.3.1', 'ip');
      await expectBadRequest('/api/v1/hosts?host=node-a', 'host');
      const res = await ctl.get<ApiError>('/api/v1/bridges?label=x&mac=00:16:3e:00:00:00');
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('label');
      expect(res.body.message).toContain('mac');
    });

    it('answers unknown routes with a JSON 404', async () => {
      const res = await ctl.get<ApiError>('/api/v1/nothing-here');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'not_found', message: expect.stringContaining('/api/v1/nothing-here') });
    });
  });

  describe('fleet summary', () => {
    it('counts hosts by status, containers by runtime and state, and every table', async () => {
      const res = await ctl.get('/api/v1/fleet/summary');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        hosts: { online: 1, offline: 1, total: 2 },
        containers: {
          docker: { running: 3, exited: 11 },
          lxc: { running: 2, stopped: 1 },
        },
        totals: { containers: 17, images: 3, volumes: 3, networks: 3, bridges: 3, leases: 3, findings: 0 },
      });
    });
  });

  describe('ip lookup', () => {
    type Lookup = { address: string; matches: ({ kind: string; host: { id: string; hostname: string } } & Row)[] };

    it('finds every holder of a reused address on both hosts', async () => {
      const res = await ctl.get<Lookup>('/api/v1/ip/10.0.3.55');
      expect(res.status).toBe(200);
      expect(res.body.address).toBe('10.0.3.55');
      expect(res.body.matches.map((m) => [m.host.hostname, m.kind])).toEqual([
        ['node-a', 'container'],
        ['node-a', 'lease'],
        ['node-b', 'container'],
        ['node-b', 'lease'],
      ]);
      expect(res.body.matches[0]).toMatchObject({
        name: 'c1',
        runtime: 'lxc',
        state: 'running',
        host: { status: 'online' },
      });
      expect(res.body.matches[3]).toMatchObject({
        mac: '00:16:3e:cc:dd:01',
        clientHostname: 'c1',
        bridge: 'lxcbr0',
        expiresAt: '2026-12-01T00:00:00.000Z',
        host: { id: hostB, status: 'offline' },
      });
    });

    it('finds bridges by address and Docker networks by subnet, IPv4 and IPv6', async () => {
      const gw = await ctl.get<Lookup>('/api/v1/ip/10.0.3.1');
      expect(gw.body.matches.map((m) => [m.host.hostname, m.kind, m.name])).toEqual([
        ['node-a', 'bridge', 'lxcbr0'],
        ['node-b', 'bridge', 'lxcbr0'],
      ]);
      const inSubnet = await ctl.get<Lookup>('/api/v1/ip/172.17.200.9');
      expect(inSubnet.body.matches.map((m) => [m.host.hostname, m.kind, m.subnet])).toEqual([
        ['node-a', 'network', '172.17.0.0/16'],
        ['node-b', 'network', '172.17.0.0/16'],
      ]);
      const v6 = await ctl.get<Lookup>('/api/v1/ip/FD00:C0::5');
      expect(v6.status).toBe(200);
      expect(v6.body.matches.map((m) => [m.host.hostname, m.kind, m.name])).toEqual([
        ['node-a', 'network', 'corral-v6'],
        ['node-b', 'container', 'api'],
      ]);
      expect(v6.body.matches[0]!.subnet).toBe('fd00:c0::/64');
    });

    it('answers 404 when nothing holds the address', async () => {
      const res = await ctl.get<ApiError>('/api/v1/ip/192.0.2.77');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'not_found', message: expect.stringContaining('192.0.2.77') });
    });
  });

  describe('OpenAPI', () => {
    it('documents every route with a summary, its query parameters and response schemas', async () => {
      const res = await ctl.get<{
        paths: Record<
          string,
          {
            get?: { summary?: string; parameters?: { name: string; in: string }[]; responses: Record<string, unknown> };
          }
        >;
        components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      }>('/api/docs-json');
      expect(res.status).toBe(200);
      const { paths, components } = res.body;
      const expected = [
        '/api/v1/hosts',
        '/api/v1/hosts/{id}',
        '/api/v1/containers',
        '/api/v1/containers/{id}',
        '/api/v1/images',
        '/api/v1/images/{id}',
        '/api/v1/volumes',
        '/api/v1/volumes/{id}',
        '/api/v1/networks',
        '/api/v1/networks/{id}',
        '/api/v1/bridges',
        '/api/v1/bridges/{id}',
        '/api/v1/leases',
        '/api/v1/leases/{id}',
        '/api/v1/fleet/summary',
        '/api/v1/ip/{address}',
      ];
      for (const path of expected) {
        const get = paths[path]?.get;
        expect(get, path).toBeDefined();
        expect(get!.summary, path).toBeTruthy();
        expect(JSON.stringify(get!.responses['200']), path).toContain('#/components/schemas/');
      }
      const params = paths['/api/v1/containers']!.get!.parameters!.filter((p) => p.in === 'query').map((p) => p.name);
      expect(params.sort()).toEqual([
        'cursor',
        'host',
        'imageOrigin',
        'ip',
        'label',
        'limit',
        'mac',
        'name',
        'runtime',
        'stale',
        'state',
      ]);
      expect(Object.keys(components.schemas.Container!.properties!)).toContain('memoryBytes');
      expect(Object.keys(components.schemas.Image!.properties!)).toEqual(
        expect.arrayContaining(['repoDigests', 'origin']),
      );
      expect(JSON.stringify(components.schemas.ContainerPage)).toContain('#/components/schemas/Container');
      const ui = await fetch(`${ctl.baseUrl}/api/docs`);
      expect(ui.status).toBe(200);
    });
  });
});
