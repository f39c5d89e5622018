import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectEngines, sh, TEST_IMAGE } from '../support/engines.js';
import { AppProcess, freePort } from '../support/processes.js';
import { timed, waitFor } from '../support/wait.js';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface ApiContainer {
  id: string;
  hostId: string;
  runtime: string;
  engineId: string;
  name: string;
  state: string;
  ipv4: string[];
  mounts: { name: string | null; destination: string }[];
  networks: { name: string; ipv4: string | null; mac: string | null; bridge: string | null }[];
}

const tag = randomBytes(3).toString('hex');
const names = {
  volume: `corral-test-vol-${tag}`,
  network: `corral-test-net-${tag}`,
  docker: `corral-test-d-${tag}`,
  lxc: `corral-test-l-${tag}`,
};
// Random so that a leftover network from an aborted run cannot collide with this one.
const subnet = `172.29.${randomInt(0, 256)}.0/24`;
const timings: Record<string, number> = {};

describe('fleet inventory end to end on real Docker, LXC and dnsmasq', () => {
  let db: TestDatabase;
  let controller: AppProcess;
  let agent: AppProcess;
  let base: string;
  let lxcPath: string;
  let stateDir: string;
  let hostId: string;
  let agentEnv: Record<string, string>;

  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${adminToken}` } });
    if (!res.ok) throw new Error(`GET ${p} -> ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const adminToken = `corral-e2e-admin-${randomBytes(16).toString('hex')}`;
  const enrollmentToken = async () => {
    const res = await fetch(`${base}/api/v1/enrollment-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    if (res.status !== 201) throw new Error(`enrollment token: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { secret: string }).secret;
  };
  const containersNamed = (name: string) =>
    api<Page<ApiContainer>>(`/api/v1/containers?host=${hostId}&name=${encodeURIComponent(name)}`).then((p) =>
      p.items.filter((c) => c.name === name),
    );
  const containerNamed = async (name: string) => (await containersNamed(name))[0];

  beforeAll(async () => {
    const engines = await detectEngines();
    if (!engines.docker || !engines.lxc) throw new Error(`engines missing: ${engines.reasons.join('; ')}`);
    db = await createTestDatabase('corral_e2e');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    controller = new AppProcess('controller', {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      CORRAL_OFFLINE_GRACE_MS: '3000',
      CORRAL_HEARTBEAT_INTERVAL_MS: '1000',
      CORRAL_ADMIN_TOKEN: adminToken,
    });
    controller.start();
    await waitFor('controller ready', async () => (await fetch(`${base}/readyz`)).ok, 60_000, 200).catch((err) => {
      throw new Error(`${(err as Error).message}\n${controller.tail()}`);
    });
    lxcPath = await mkdtemp(path.join(os.tmpdir(), 'corral-lxc-'));
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'corral-agent-'));
    agentEnv = {
      CORRAL_CONTROLLER_URL: `ws://127.0.0.1:${port}/agent`,
      CORRAL_STATE_DIR: stateDir,
      CORRAL_LXC_PATHS: lxcPath,
      CORRAL_POLL_INTERVAL_MS: '500',
      CORRAL_HOSTNAME: `e2e-${tag}`,
      CORRAL_ENROLLMENT_TOKEN: await enrollmentToken(),
    };
    agent = new AppProcess('agent', agentEnv);
    agent.start();
    const host = await waitFor(
      'agent host online with a snapshot',
      async () => {
        const hosts = await api<Page<{ id: string; hostname: string; status: string; facts: unknown }>>(
          `/api/v1/hosts?name=e2e-${tag}`,
        );
        return hosts.items.find((h) => h.status === 'online' && h.facts);
      },
      30_000,
      200,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${agent.tail()}\n${controller.tail()}`);
    });
    hostId = host.id;
  });

  afterAll(async () => {
    await sh('docker', ['rm', '-f', names.docker]).catch(() => {});
    await sh('docker', ['volume', 'rm', '-f', names.volume]).catch(() => {});
    await sh('docker', ['network', 'rm', names.network]).catch(() => {});
    if (lxcPath) {
      await sh('lxc-stop', ['-P', lxcPath, '-n', names.lxc, '-k']).catch(() => {});
      await sh('lxc-destroy', ['-P', lxcPath, '-n', names.lxc, '-f']).catch(() => {});
      await rm(lxcPath, { recursive: true, force: true });
    }
    await agent?.kill();
    await controller?.kill();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    await db?.drop();
    console.log(
      `time to appear in the API (ms; target < 2000):\n${Object.entries(timings)
        .map(([k, v]) => `  ${k.padEnd(28)} ${v}`)
        .join('\n')}`,
    );
  });

  it('reports host facts, bridges and runtimes', async () => {
    const host = await api<{ facts: { cpuCount: number; runtimes: { name: string; available: boolean }[] } }>(
      `/api/v1/hosts/${hostId}`,
    );
    expect(host.facts.cpuCount).toBe(os.cpus().length);
    expect(host.facts.runtimes.map((r) => [r.name, r.available])).toEqual(
      expect.arrayContaining([
        ['docker', true],
        ['lxc', true],
      ]),
    );
    const bridges = await api<Page<{ name: string; addresses: { address: string }[] }>>(
      `/api/v1/bridges?host=${hostId}&limit=1000`,
    );
    const lxcbr0 = bridges.items.find((b) => b.name === 'lxcbr0');
    expect(lxcbr0?.addresses.map((a) => a.address)).toContain('10.0.3.1');
    expect(bridges.items.map((b) => b.name)).toContain('docker0');
  });

  it('shows Docker volumes, networks and containers as the engine reports them', async () => {
    await sh('docker', ['volume', 'create', '--label', 'corral.test=1', names.volume]);
    timings['docker volume created'] = (
      await timed(() =>
        waitFor('volume in API', async () => {
          const p = await api<Page<{ name: string }>>(`/api/v1/volumes?host=${hostId}&name=${names.volume}`);
          return p.items.length === 1;
        }),
      )
    ).ms;

    await sh('docker', ['network', 'create', '--label', 'corral.test=1', '--subnet', subnet, names.network]);
    timings['docker network created'] = (
      await timed(() =>
        waitFor('network in API', async () => {
          const p = await api<Page<{ name: string; subnets: string[] }>>(
            `/api/v1/networks?host=${hostId}&name=${names.network}`,
          );
          return p.items[0]?.subnets.includes(subnet);
        }),
      )
    ).ms;

    await sh('docker', [
      'run',
      '-d',
      '--name',
      names.docker,
      '--label',
      'corral.test=1',
      '--network',
      names.network,
      '-v',
      `${names.volume}:/data`,
      TEST_IMAGE,
      'sleep',
      '3600',
    ]);
    const { value: running, ms } = await timed(() =>
      waitFor('docker container running in API', async () => {
        const c = await containerNamed(names.docker);
        return c?.state === 'running' && c.ipv4.length > 0 ? c : undefined;
      }),
    );
    timings['docker container started'] = ms;
    const inspected = JSON.parse(await sh('docker', ['inspect', names.docker]))[0];
    expect(running.engineId).toBe(inspected.Id);
    expect(running.runtime).toBe('docker');
    expect(running.ipv4).toEqual([inspected.NetworkSettings.Networks[names.network].IPAddress]);
    expect(running.networks[0]).toMatchObject({
      name: names.network,
      mac: inspected.NetworkSettings.Networks[names.network].MacAddress,
    });
    expect(running.mounts).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: names.volume, destination: '/data' })]),
    );
    const volume = await waitFor('volume used by the container', async () => {
      const p = await api<Page<{ usedBy: string[] }>>(`/api/v1/volumes?host=${hostId}&name=${names.volume}`);
      return p.items[0]?.usedBy.includes(names.docker) ? p : undefined;
    });
    expect(volume.items).toHaveLength(1);
    expect(volume.items[0]!.usedBy).toContain(names.docker);

    await sh('docker', ['stop', '-t', '1', names.docker]);
    timings['docker container stopped'] = (
      await timed(() =>
        waitFor('docker container exited in API', async () => (await containerNamed(names.docker))?.state === 'exited'),
      )
    ).ms;
    expect((await containerNamed(names.docker))?.state).toBe('exited');
  });

  it('shows an LXC container with its IP and dnsmasq lease, and the IP lookup finds both', async () => {
    await sh('lxc-create', ['-P', lxcPath, '-n', names.lxc, '-t', 'busybox'], 120_000);
    timings['lxc container created'] = (
      await timed(() =>
        waitFor('lxc container in API', async () => (await containerNamed(names.lxc))?.state === 'stopped'),
      )
    ).ms;
    await sh('lxc-start', ['-P', lxcPath, '-n', names.lxc]);
    timings['lxc container started'] = (
      await timed(() =>
        waitFor('lxc container running in API', async () => (await containerNamed(names.lxc))?.state === 'running'),
      )
    ).ms;
    const ip = await waitFor(
      'lxc container IP from lxc-info',
      async () => (await sh('lxc-info', ['-P', lxcPath, '-n', names.lxc, '-iH'])).split('\n')[0] || undefined,
      30_000,
      50,
    );
    const { value: container, ms: ipMs } = await timed(() =>
      waitFor('lxc container IP in API', async () => {
        const c = await containerNamed(names.lxc);
        return c?.state === 'running' && c.ipv4.includes(ip) ? c : undefined;
      }),
    );
    timings['lxc IP (after lxc-info)'] = ipMs;
    expect(container.runtime).toBe('lxc');
    expect(container.networks[0]).toMatchObject({ bridge: 'lxcbr0' });

    const { value: lease, ms: leaseMs } = await timed(() =>
      waitFor('lease in API', async () => {
        const p = await api<Page<{ ip: string; mac: string; bridge: string | null }>>(
          `/api/v1/leases?host=${hostId}&ip=${ip}`,
        );
        return p.items[0];
      }),
    );
    timings['lxc lease (after lxc-info)'] = leaseMs;
    expect(lease.mac).toBe(container.networks[0]!.mac);
    expect(lease.bridge).toBe('lxcbr0');

    const holders = await api<{ matches: { kind: string; host: { id: string } }[] }>(`/api/v1/ip/${ip}`);
    const kinds = holders.matches.filter((m) => m.host.id === hostId).map((m) => m.kind);
    expect(kinds).toEqual(expect.arrayContaining(['container', 'lease']));

    await sh('lxc-stop', ['-P', lxcPath, '-n', names.lxc, '-k']);
    timings['lxc container stopped'] = (
      await timed(() =>
        waitFor('lxc container stopped in API', async () => (await containerNamed(names.lxc))?.state === 'stopped'),
      )
    ).ms;
  });

  it('converges after the agent is killed -9 and restarted, without duplicates', async () => {
    const before = await api<Page<ApiContainer>>(`/api/v1/containers?host=${hostId}&limit=1000`);
    await agent.kill('SIGKILL');
    // Changed while the agent was dead: the restarted agent must report it.
    await sh('docker', ['start', names.docker]);
    agent = new AppProcess('agent', agentEnv);
    agent.start();
    await waitFor('docker container running again in API', async () => {
      return (await containerNamed(names.docker))?.state === 'running';
    });
    expect((await containerNamed(names.docker))?.state).toBe('running');
    const after = await api<Page<ApiContainer>>(`/api/v1/containers?host=${hostId}&limit=1000`);
    const hosts = await api<Page<{ id: string }>>(`/api/v1/hosts?name=e2e-${tag}`);
    expect(hosts.items.map((h) => h.id)).toEqual([hostId]);
    expect(after.items.map((c) => c.id).sort()).toEqual(before.items.map((c) => c.id).sort());
    expect(new Set(after.items.map((c) => `${c.runtime}:${c.engineId}`)).size).toBe(after.items.length);

    // The API matches the engines again.
    const dockerIds = (await sh('docker', ['ps', '-a', '--no-trunc', '--format', '{{.ID}}']))
      .split('\n')
      .filter(Boolean);
    const lxcNames = (await sh('lxc-ls', ['-P', lxcPath])).split(/\s+/).filter(Boolean);
    expect(
      after.items
        .filter((c) => c.runtime === 'docker')
        .map((c) => c.engineId)
        .sort(),
    ).toEqual(dockerIds.sort());
    expect(
      after.items
        .filter((c) => c.runtime === 'lxc')
        .map((c) => c.name)
        .sort(),
    ).toEqual(lxcNames.sort());
  });

  it('reports a missing Docker as unavailable with its reason and keeps reporting the rest', async () => {
    const noDockerState = await mkdtemp(path.join(os.tmpdir(), 'corral-agent-nodocker-'));
    const other = new AppProcess('agent', {
      ...agentEnv,
      CORRAL_STATE_DIR: noDockerState,
      CORRAL_DOCKER_SOCKET: '/nonexistent/docker.sock',
      CORRAL_HOSTNAME: `e2e-nodocker-${tag}`,
      CORRAL_ENROLLMENT_TOKEN: await enrollmentToken(),
    });
    other.start();
    try {
      const host = await waitFor('agent without docker online', async () => {
        const hosts = await api<
          Page<{
            id: string;
            status: string;
            facts: { runtimes: { name: string; available: boolean; reason: string | null }[] } | null;
          }>
        >(`/api/v1/hosts?name=e2e-nodocker-${tag}`);
        return hosts.items.find((h) => h.status === 'online' && h.facts);
      });
      const docker = host.facts!.runtimes.find((r) => r.name === 'docker');
      expect(docker).toMatchObject({ available: false });
      expect(docker?.reason).toContain('/nonexistent/docker.sock');
      expect(host.facts!.runtimes.find((r) => r.name === 'lxc')?.available).toBe(true);
      const bridges = await api<Page<{ name: string }>>(`/api/v1/bridges?host=${host.id}&name=lxcbr0`);
      expect(bridges.items).toHaveLength(1);
      const dockerContainers = await api<Page<unknown>>(`/api/v1/containers?host=${host.id}&runtime=docker`);
      expect(dockerContainers.items).toEqual([]);
    } finally {
      await other.kill();
      await rm(noDockerState, { recursive: true, force: true });
    }
  });

  it('removes what was deleted on the engines', async () => {
    await sh('docker', ['rm', '-f', names.docker]);
    await sh('docker', ['volume', 'rm', names.volume]);
    await sh('docker', ['network', 'rm', names.network]);
    await sh('lxc-destroy', ['-P', lxcPath, '-n', names.lxc, '-f']);
    const { ms } = await timed(() =>
      waitFor('everything gone from the API', async () => {
        const [d, l, v, n] = await Promise.all([
          containersNamed(names.docker),
          containersNamed(names.lxc),
          api<Page<unknown>>(`/api/v1/volumes?host=${hostId}&name=${names.volume}`),
          api<Page<unknown>>(`/api/v1/networks?host=${hostId}&name=${names.network}`),
        ]);
        return d.length + l.length + v.items.length + n.items.length === 0;
      }),
    );
    timings['all removed'] = ms;
  });
});
