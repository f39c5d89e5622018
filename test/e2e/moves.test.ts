import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, FLEET_IMAGE, type Fleet, FleetApi, type FleetHost } from '../fleet/index.js';
import { checkFleetPrereqs } from '../fleet/prereqs.js';
import { run, until } from '../fleet/run.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';

const prereqs = await checkFleetPrereqs();
const tag = `m${randomBytes(3).toString('hex')}`;

interface MoveReply {
  mode: string;
  source: { hostname: string; name: string; kept: boolean; state: string };
  target: { containerId: string | null; hostname: string; name: string; state: string; hwaddrs: string[] };
  bridge: string | null;
  bytes: number | null;
  steps: { op: string; status: string }[];
  warnings: string[];
}

// Copies and moves of LXC containers between two netns hosts, each with its own bridge, dnsmasq,
// lxcpath and dockerd: the container's files arrive, it gets a lease from the target's dnsmasq, and a failure
// midway leaves the source running and nothing on the target.
describe.skipIf(!prereqs.ok)('moving containers between fleet hosts', () => {
  let db: TestDatabase;
  let fleet: Fleet;
  let api: FleetApi;
  let h1: FleetHost;
  let h2: FleetHost;
  const name = (what: string) => `corral-test-${tag}-${what}`;
  const rootfs = (host: FleetHost, container: string) => path.join(host.state.lxcPath, container, 'rootfs');

  const inApi = (host: FleetHost, container: string, state: string) =>
    until(
      `${container} ${state} on ${host.name} in the API`,
      async () =>
        (
          await api.all<{ id: string; name: string; state: string; hostname: string }>(
            `/api/v1/containers?host=${host.name}&name=${encodeURIComponent(container)}`,
          )
        ).find((c) => c.name === container && c.state === state),
      30_000,
      200,
    );
  const state = async (host: FleetHost, container: string) =>
    (await host.lxcList()).find((c) => c.name === container)?.state;
  // An LXC container on h1 with a file written into its rootfs, running with its lease.
  const workload = async (what: string, marker: string) => {
    const { mac } = await h1.lxcCreate(name(what));
    writeFileSync(path.join(rootfs(h1, name(what)), 'moved.txt'), marker);
    await h1.lxcStart(name(what));
    await until(`${name(what)} lease on ${h1.name}`, () => h1.leases().some((l) => l.mac === mac), 30_000, 200);
    await inApi(h1, name(what), 'running');
    return mac;
  };
  const leaseOn = (host: FleetHost, mac: string) =>
    until(
      `a lease for ${mac} from ${host.name}'s dnsmasq`,
      () => host.leases().find((l) => l.mac === mac),
      30_000,
      200,
    );
  const leftovers = (host: FleetHost) => readdirSync(host.state.lxcPath).filter((f) => f.startsWith('.corral-restore'));

  beforeAll(async () => {
    db = await createTestDatabase('corral_moves');
    fleet = await createFleet({
      hosts: 2,
      dockerHosts: 2,
      tag,
      startController: {
        databaseUrl: db.url,
        dropDatabase: { adminUrl: ADMIN_URL, name: db.name },
        env: { CORRAL_HEARTBEAT_INTERVAL_MS: '1000', CORRAL_LOG_LEVEL: 'warn' },
      },
    });
    api = new FleetApi(fleet.apiUrl);
    [h1, h2] = fleet.hosts as [FleetHost, FleetHost];
    for (const host of fleet.hosts) {
      await until(`${host.name} online`, async () => (await api.host(host.name))?.status === 'online', 60_000);
    }
  });

  afterAll(async () => {
    if (fleet) {
      const report = await fleet.destroy();
      expect(report.problems).toEqual([]);
    } else {
      await db?.drop();
    }
  });

  it('moves a running LXC container: it runs on the target with its files and a lease there, and is gone from the source', async () => {
    const oldMac = await workload('mv', 'moved with its files');
    const answer = await api.post<MoveReply>(`/api/v1/containers/${encodeURIComponent(name('mv'))}/move`, {
      toHost: h2.name,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const reply = answer.body;
    expect(reply).toMatchObject({
      mode: 'move',
      source: { hostname: h1.name, kept: false, state: 'removed' },
      target: { hostname: h2.name, name: name('mv'), state: 'running' },
      bridge: 'cbr0',
      warnings: [],
    });
    expect(reply.steps.map((s) => [s.op, s.status])).toEqual([
      ['container.stop', 'succeeded'],
      ['container.restore', 'succeeded'],
      ['container.remove', 'succeeded'],
    ]);
    expect(reply.target.hwaddrs).toHaveLength(1);
    expect(reply.target.hwaddrs[0]).not.toBe(oldMac);
    expect(await state(h2, name('mv'))).toBe('running');
    expect(readFileSync(path.join(rootfs(h2, name('mv')), 'moved.txt'), 'utf8')).toBe('moved with its files');
    // The config now names the target's lxcpath.
    const config = readFileSync(path.join(h2.state.lxcPath, name('mv'), 'config'), 'utf8');
    expect(config).toContain(`${h2.state.lxcPath}/${name('mv')}/rootfs`);
    expect(config).not.toContain(h1.state.lxcPath);
    const lease = await leaseOn(h2, reply.target.hwaddrs[0]!);
    expect(lease.ip.startsWith(h2.state.bridgeAddress.split('.').slice(0, 3).join('.'))).toBe(true);
    expect(await state(h1, name('mv'))).toBeUndefined();
    expect(existsSync(path.join(h1.state.lxcPath, name('mv')))).toBe(false);
    await inApi(h2, name('mv'), 'running');
    expect(leftovers(h2)).toEqual([]);
  });

  it('copies a running LXC container under a new name: both run, the copy with the files and its own lease', async () => {
    const mac = await workload('cp', 'copied');
    const answer = await api.post<MoveReply>(`/api/v1/containers/${encodeURIComponent(name('cp'))}/copy`, {
      toHost: h2.name,
      name: name('cp2'),
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({
      mode: 'copy',
      source: { kept: true, state: 'running' },
      target: { name: name('cp2'), state: 'running' },
    });
    expect(await state(h1, name('cp'))).toBe('running');
    expect(await state(h2, name('cp2'))).toBe('running');
    expect(readFileSync(path.join(rootfs(h2, name('cp2')), 'moved.txt'), 'utf8')).toBe('copied');
    await leaseOn(h2, answer.body.target.hwaddrs[0]!);
    // The source keeps its MAC and renews its lease on its own host.
    expect(readFileSync(path.join(h1.state.lxcPath, name('cp'), 'config'), 'utf8')).toContain(mac);
    await inApi(h1, name('cp'), 'running');
  });

  it('refuses a copied config with a key the target’s policy forbids: the source runs again, nothing stays on the target', async () => {
    await workload('hook', 'hooked');
    const config = path.join(h1.state.lxcPath, name('hook'), 'config');
    writeFileSync(config, `${readFileSync(config, 'utf8')}lxc.hook.pre-start = /bin/true\n`);
    const answer = await api.post<{ message: string }>(`/api/v1/containers/${encodeURIComponent(name('hook'))}/move`, {
      toHost: h2.name,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(403);
    expect(answer.body.message).toMatch(/lxc\.hook\.pre-start/);
    expect(answer.body.message).toMatch(/source is left as it was/);
    expect(await state(h1, name('hook'))).toBe('running');
    expect(await state(h2, name('hook'))).toBeUndefined();
    expect(existsSync(path.join(h2.state.lxcPath, name('hook')))).toBe(false);
    expect(leftovers(h2)).toEqual([]);
  });

  it('a target whose lxcpath cannot be written: 502, the source runs again, nothing on the target', async () => {
    await workload('ro', 'read-only');
    const dir = h2.state.lxcPath;
    // In the agent's own mount namespace (it runs in a private one, see sysfs-exec.sh).
    const inAgent = (args: string[]) => run('nsenter', ['-t', String(h2.state.pids.agent), '-m', 'mount', ...args]);
    await inAgent(['--bind', dir, dir]);
    try {
      await inAgent(['-o', 'remount,ro,bind', dir]);
      const answer = await api.post<{ message: string }>(`/api/v1/containers/${encodeURIComponent(name('ro'))}/move`, {
        toHost: h2.name,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(502);
      expect(answer.body.message).toMatch(/cannot write into/);
    } finally {
      await run('nsenter', ['-t', String(h2.state.pids.agent), '-m', 'umount', dir]);
    }
    expect(await state(h1, name('ro'))).toBe('running');
    expect(await state(h2, name('ro'))).toBeUndefined();
    expect(existsSync(path.join(h2.state.lxcPath, name('ro')))).toBe(false);
    expect(leftovers(h2)).toEqual([]);
  });

  it('answers a name already taken on the target with 409 before touching the source', async () => {
    await workload('dup', 'dup');
    await h2.lxcCreate(name('dup'));
    await inApi(h2, name('dup'), 'stopped');
    const answer = await api.post<{ message: string }>(
      `/api/v1/containers/${encodeURIComponent(`${h1.name}/${name('dup')}`)}/move`,
      { toHost: h2.name },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(409);
    expect(await state(h1, name('dup'))).toBe('running');
  });
  // A Docker container on h1 from an image only h1 has, its data in a named volume.
  const dockerWorkload = async (what: string, volume: string) => {
    const image = `corral-test/${tag}-${what}:1`;
    await h1.docker(['run', '--name', name(`${what}-build`), FLEET_IMAGE, 'sh', '-c', 'echo image > /image.txt']);
    await h1.docker(['commit', name(`${what}-build`), image]);
    await h1.docker(['rm', name(`${what}-build`)]);
    await h1.docker(['volume', 'create', volume]);
    await h1.docker([
      'run',
      '-d',
      '--name',
      name(what),
      '-v',
      `${volume}:/data`,
      '-e',
      'GREETING=hello',
      '--label',
      'corral.test=1',
      '--restart',
      'unless-stopped',
      image,
      'sleep',
      '3600',
    ]);
    await h1.docker(['exec', name(what), 'sh', '-c', 'echo written before the move > /data/file.txt']);
    await inApi(h1, name(what), 'running');
    await until(
      `volume ${volume} in the API`,
      async () => (await api.all<{ name: string }>(`/api/v1/volumes?host=${h1.name}`)).some((v) => v.name === volume),
      30_000,
      200,
    );
    await until(
      `${image} in the API`,
      async () =>
        (await api.all<{ tags: string[] }>(`/api/v1/images?host=${h1.name}`)).some((i) => i.tags.includes(image)),
      30_000,
      200,
    );
    return image;
  };
  const dockerNames = async (host: FleetHost) =>
    (await host.docker(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(Boolean);

  it('moves a Docker container with a named volume: image, volume contents and config arrive, the source is removed', async () => {
    const image = await dockerWorkload('app', name('data'));
    const answer = await api.post<MoveReply>(`/api/v1/containers/${encodeURIComponent(name('app'))}/move`, {
      toHost: h2.name,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ mode: 'move', source: { kept: false, state: 'removed' } });
    expect(answer.body.steps.map((s) => s.op)).toEqual([
      'container.spec',
      'image.copy',
      'container.stop',
      'volume.restore',
      'container.create',
      'container.remove',
    ]);
    expect((await h2.docker(['exec', name('app'), 'cat', '/data/file.txt'])).trim()).toBe('written before the move');
    expect((await h2.docker(['exec', name('app'), 'cat', '/image.txt'])).trim()).toBe('image');
    const inspected = JSON.parse(await h2.docker(['inspect', name('app')]))[0];
    expect(inspected.State.Running).toBe(true);
    expect(inspected.Config.Env).toContain('GREETING=hello');
    expect(inspected.Config.Labels['corral.test']).toBe('1');
    expect(inspected.Config.Image).toBe(image);
    expect(inspected.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    expect(await dockerNames(h1)).not.toContain(name('app'));
  });

  it('a Docker move whose volume exists on the target: 409, the source runs on, nothing of it on the target', async () => {
    await dockerWorkload('clash', name('clash-data'));
    await h2.docker(['volume', 'create', name('clash-data')]);
    // Written by the same image family as the moving container's, so that the volume guard lets the
    // move through and the restore itself meets the existing volume.
    await h2.docker([
      'run',
      '--rm',
      '--label',
      `corral.volume.family=corral-test/${tag}-clash`,
      '-v',
      `${name('clash-data')}:/d`,
      FLEET_IMAGE,
      'sh',
      '-c',
      'echo theirs > /d/own.txt',
    ]);
    const answer = await api.post<{ message: string }>(`/api/v1/containers/${encodeURIComponent(name('clash'))}/move`, {
      toHost: h2.name,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(409);
    expect(answer.body.message).toMatch(/source is left as it was/);
    expect(JSON.parse(await h1.docker(['inspect', name('clash')]))[0].State.Running).toBe(true);
    expect(await dockerNames(h2)).not.toContain(name('clash'));
    // The target's own volume is untouched.
    const own = await h2.docker(['run', '--rm', '-v', `${name('clash-data')}:/d`, FLEET_IMAGE, 'cat', '/d/own.txt']);
    expect(own.trim()).toBe('theirs');
  });
  it('drains h1 with move=true: each container moved through placement or left with its reason', async () => {
    const answer = await api.post<{
      host: { cordoned: boolean };
      moves: { name: string; outcome: string; toHostname: string | null; error: string | null }[];
    }>(`/api/v1/hosts/${h1.name}/drain?move=true`, {});
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const byName = new Map(answer.body.moves.map((m) => [m.name, m]));
    expect(byName.get(name('cp'))).toMatchObject({ outcome: 'moved', toHostname: h2.name });
    expect(byName.get(name('ro'))).toMatchObject({ outcome: 'moved', toHostname: h2.name });
    expect(byName.get(name('hook'))).toMatchObject({ outcome: 'failed' });
    expect(byName.get(name('hook'))?.error).toMatch(/lxc\.hook\.pre-start/);
    expect(byName.get(name('dup'))).toMatchObject({ outcome: 'failed' });
    expect(byName.get(name('clash'))).toMatchObject({ outcome: 'failed' });
    expect(await state(h2, name('cp'))).toBe('running');
    expect(await state(h1, name('cp'))).toBeUndefined();
    // What could not move still runs where it was.
    expect(await state(h1, name('hook'))).toBe('running');
    expect(JSON.parse(await h1.docker(['inspect', name('clash')]))[0].State.Running).toBe(true);
  });
});
