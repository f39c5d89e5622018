import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerRecordSchema, HostFactsSchema, type LeaseRecord } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BridgesCollector } from '../../apps/agent/src/collectors/bridges/bridges.collector.js';
import { createNetDriver } from '../../apps/agent/src/collectors/bridges/net.driver.js';
import { collectFacts } from '../../apps/agent/src/collectors/host-facts.collector.js';
import { createFileLeaseSource } from '../../apps/agent/src/collectors/leases/lease.source.js';
import { LeasesCollector } from '../../apps/agent/src/collectors/leases/leases.collector.js';
import { JsonLogger } from '../../apps/agent/src/lib/logger.js';
import { DockerCollector } from '../../apps/agent/src/runtimes/docker/docker.collector.js';
import { createDockerDriver } from '../../apps/agent/src/runtimes/docker/docker.driver.js';
import { LxcCollector } from '../../apps/agent/src/runtimes/lxc/lxc.collector.js';
import { createLxcDriver } from '../../apps/agent/src/runtimes/lxc/lxc.driver.js';
import { detectEngines, sh, TEST_IMAGE, TEST_LABEL } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

// Throws under CI when an engine is missing, so the whole file fails instead of skipping.
const engines = await detectEngines();
const logger = new JsonLogger('warn', { test: 'agent-collectors' });
const suffix = randomBytes(4).toString('hex');
const DOCKER_SOCKET = '/var/run/docker.sock';

describe.skipIf(!engines.docker)('docker collector against the real daemon', () => {
  const running = `corral-test-coll-${suffix}`;
  const created = `corral-test-coll-${suffix}-created`;
  const made: string[] = [];
  const sut = new DockerCollector({
    driver: createDockerDriver({ socketPath: DOCKER_SOCKET, timeoutMs: 10_000 }),
    logger,
    socketPath: DOCKER_SOCKET,
  });

  beforeAll(async () => {
    made.push(running);
    // Several ports and mounts, which Docker lists in a different order from call to call, and a health check.
    await sh('docker', [
      'run',
      '-d',
      '--name',
      running,
      '--label',
      TEST_LABEL,
      ...['-p', '127.0.0.1::81', '-p', '127.0.0.1::82', '-p', '127.0.0.1::83/udp'],
      ...['-v', '/data1', '-v', '/data2', '-v', '/tmp:/host-tmp:ro'],
      ...['--health-cmd', 'true', '--health-interval', '1s'],
      TEST_IMAGE,
      'sleep',
      '600',
    ]);
    made.push(created);
    await sh('docker', ['create', '--name', created, '--label', TEST_LABEL, TEST_IMAGE, 'sleep', '1']);
  });

  afterAll(async () => {
    if (made.length > 0) await sh('docker', ['rm', '-f', '-v', ...made]);
  });

  it('probe reports the daemon version', async () => {
    const version = await sh('docker', ['version', '--format', '{{.Server.Version}}']);
    expect(await sut.probe()).toEqual({ name: 'docker', available: true, version, reason: null });
  });

  it('collect shows both containers with what docker inspect says', async () => {
    const inspect = JSON.parse(await sh('docker', ['inspect', running]))[0];
    const { containers, networks, images } = await sut.collect();
    const record = containers!.find((c) => c.name === running);
    expect(record).toBeDefined();
    ContainerRecordSchema.parse(record);
    expect(record).toMatchObject({
      id: inspect.Id,
      state: 'running',
      image: TEST_IMAGE,
      imageId: inspect.Image,
      pid: inspect.State.Pid,
      startedAt: new Date(inspect.State.StartedAt).toISOString(),
      restartPolicy: 'no',
      labels: { 'corral.test': '1' },
      ipv4: [inspect.NetworkSettings.Networks.bridge.IPAddress],
      networks: [
        {
          name: 'bridge',
          ipv4: inspect.NetworkSettings.Networks.bridge.IPAddress,
          mac: inspect.NetworkSettings.Networks.bridge.MacAddress,
          ipv6: null,
          bridge: 'docker0',
        },
      ],
    });
    expect(record!.status).toMatch(/^running \((health: starting|healthy)\)$/);
    expect(record!.ports).toHaveLength(3);
    expect(record!.mounts.map((m) => m.destination)).toEqual(['/data1', '/data2', '/host-tmp']);
    expect(containers!.find((c) => c.name === created)).toMatchObject({
      state: 'created',
      status: 'created',
      pid: null,
    });
    expect(networks!.find((n) => n.name === 'bridge')).toMatchObject({ bridge: 'docker0', driver: 'bridge' });
    expect(images!.some((i) => i.tags.includes(TEST_IMAGE))).toBe(true);
  });

  it('consecutive collects of unchanged containers give identical records', async () => {
    const ours = async () => (await sut.collect()).containers!.filter((c) => c.name === running || c.name === created);
    await waitFor(
      'the health check to pass',
      async () => (await ours()).find((c) => c.name === running)?.status === 'running (healthy)',
      30_000,
      250,
    );
    const first = await ours();
    expect(first).toHaveLength(2);
    expect(first.find((c) => c.name === running)?.status).toBe('running (healthy)');
    for (let i = 0; i < 4; i++) expect(await ours()).toEqual(first);
  });

  it('watch reports a stop through the event stream, and collect then shows the container exited', async () => {
    const onChange = vi.fn();
    const stop = sut.watch(onChange);
    try {
      // Let the event stream connect before acting.
      await new Promise((r) => setTimeout(r, 500));
      await sh('docker', ['stop', '-t', '0', running]);
      await waitFor('docker event', () => onChange.mock.calls.length > 0, 10_000);
      expect(onChange).toHaveBeenCalled();
    } finally {
      stop();
    }
    const { containers } = await sut.collect();
    expect(containers!.find((c) => c.name === running)).toMatchObject({
      state: 'exited',
      // sleep as pid 1 ignores SIGTERM, so docker stop -t 0 ends it with SIGKILL.
      status: 'exited (137)',
      pid: null,
      ipv4: [],
    });
  });
});

describe.skipIf(!engines.lxc)('lxc, lease and bridge collectors against real LXC and dnsmasq', () => {
  const name = `corral-test-coll-${suffix}`;
  let lxcPath: string | null = null;
  let created = false;
  let ip = '';
  const lxc = () =>
    new LxcCollector({
      driver: createLxcDriver(),
      logger,
      lxcPaths: [lxcPath!, join(lxcPath!, 'missing')],
      pollMs: 500,
    });
  const leases = new LeasesCollector({ source: createFileLeaseSource(), logger });
  const bridges = new BridgesCollector({ driver: createNetDriver(), logger });

  beforeAll(async () => {
    lxcPath = await mkdtemp(join(tmpdir(), 'corral-test-lxcpath-'));
    created = true;
    await sh('lxc-create', ['-P', lxcPath, '-n', name, '-t', 'busybox'], 120_000);
    await sh('lxc-start', ['-P', lxcPath, '-n', name]);
    ip = await waitFor(
      'the LXC container to get a DHCP address',
      async () =>
        (await sh('lxc-info', ['-P', lxcPath!, '-n', name, '-i', '-H']))
          .split('\n')
          .find((l) => l.startsWith('10.0.3.')),
      60_000,
      250,
    );
  });

  afterAll(async () => {
    if (lxcPath && created) {
      await sh('lxc-stop', ['-P', lxcPath, '-n', name, '-k']).catch(() => undefined);
      await sh('lxc-destroy', ['-P', lxcPath, '-n', name]);
    }
    if (lxcPath) await rm(lxcPath, { recursive: true, force: true });
  });

  it('probe reports the LXC version', async () => {
    const version = await sh('lxc-ls', ['--version']);
    expect(await lxc().probe()).toEqual({ name: 'lxc', available: true, version, reason: null });
  });

  it('collect shows the running container with what lxc-info says', async () => {
    const pid = Number(await sh('lxc-info', ['-P', lxcPath!, '-n', name, '-p', '-H']));
    const { containers } = await lxc().collect();
    expect(containers).toHaveLength(1);
    const [record] = containers!;
    ContainerRecordSchema.parse(record);
    expect(record).toMatchObject({
      runtime: 'lxc',
      id: name,
      name,
      lxcPath,
      state: 'running',
      pid,
      autostart: false,
      networks: [
        { name: 'eth0', ipv4: ip, bridge: 'lxcbr0', mac: expect.stringMatching(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/) },
      ],
    });
    expect(record!.ipv4).toContain(ip);
    expect(record!.memoryBytes).toBeGreaterThan(0);
  });

  it('the lease collector finds the lease on lxcbr0', async () => {
    const lease = await waitFor(
      'the lease in the lxcbr0 lease file',
      async () => (await leases.collect()).leases!.find((l: LeaseRecord) => l.ip === ip),
      30_000,
      250,
    );
    expect(lease).toMatchObject({ bridge: 'lxcbr0', source: '/var/lib/misc/dnsmasq.lxcbr0.leases' });
    expect(lease.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    const [record] = (await lxc().collect()).containers!;
    expect(record!.networks.find((n) => n.ipv4 === ip)?.mac).toBe(lease.mac);
  });

  it('consecutive collects of the quiet container give identical records, memory use aside', async () => {
    const collect = async () => (await lxc().collect()).containers!;
    const [first] = await collect();
    for (let i = 0; i < 4; i++) {
      const [again] = await collect();
      expect({ ...again!, memoryBytes: null }).toEqual({ ...first!, memoryBytes: null });
      expect(again!.memoryBytes).toBeGreaterThan(0);
    }
  });

  it('the bridge collector shows lxcbr0 with 10.0.3.1 and the container veth, and docker0', async () => {
    const veth = (await sh('lxc-info', ['-P', lxcPath!, '-n', name])).match(/^Link:\s+(\S+)/m)?.[1];
    const { bridges: found } = await bridges.collect();
    const lxcbr0 = found!.find((b) => b.name === 'lxcbr0');
    expect(lxcbr0?.addresses).toContainEqual({ family: 'inet', address: '10.0.3.1', prefixLength: 24 });
    expect(lxcbr0).toMatchObject({ up: true, stp: false });
    expect(lxcbr0?.interfaces).toContain(veth);
    if (engines.docker) expect(found!.map((b) => b.name)).toContain('docker0');
  });

  it('host facts describe this machine', async () => {
    const facts = await collectFacts({ dataDirs: [lxcPath!, '/nonexistent-corral'], runtimes: [], logger });
    expect(HostFactsSchema.parse(facts)).toEqual(facts);
    expect(facts.disks.map((d) => d.path)).toEqual([lxcPath]);
    expect(facts.ipForward).toBe((await sh('sysctl', ['-n', 'net.ipv4.ip_forward'])) === '1');
  });

  it('lxc and bridge watchers notice the container stopping', async () => {
    const sut = lxc();
    const lxcChange = vi.fn();
    const bridgeChange = vi.fn();
    const stops = [sut.watch(lxcChange), bridges.watch(bridgeChange)];
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      lxcChange.mockClear();
      bridgeChange.mockClear();
      await sh('lxc-stop', ['-P', lxcPath!, '-n', name, '-k']);
      await waitFor('lxc state poll', () => lxcChange.mock.calls.length > 0, 10_000);
      await waitFor('ip monitor event', () => bridgeChange.mock.calls.length > 0, 10_000);
      expect(lxcChange).toHaveBeenCalled();
      expect(bridgeChange).toHaveBeenCalled();
    } finally {
      for (const stop of stops) stop();
    }
    const { containers } = await sut.collect();
    expect(containers![0]).toMatchObject({ state: 'stopped', pid: null, ipv4: [], memoryBytes: null });
  });

  it('the lxcpath watcher notices a container being created', async () => {
    const sut = lxc();
    const onChange = vi.fn();
    const stop = sut.watch(onChange);
    const second = `${name}-b`;
    try {
      await new Promise((r) => setTimeout(r, 200));
      onChange.mockClear();
      await sh('lxc-create', ['-P', lxcPath!, '-n', second, '-t', 'busybox'], 120_000);
      await waitFor('inotify on the lxcpath', () => onChange.mock.calls.length > 0, 5_000);
      expect(onChange).toHaveBeenCalled();
      expect((await sut.collect()).containers!.map((c) => c.name).sort()).toEqual([name, second]);
    } finally {
      stop();
      await sh('lxc-destroy', ['-P', lxcPath!, '-n', second]).catch(() => undefined);
    }
  });
});
