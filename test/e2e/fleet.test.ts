import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, FLEET_IMAGE, type Fleet, FleetApi, type FleetHost } from '../fleet/index.js';
import { describeDiff, waitConverged } from '../fleet/inventory-check.js';
import { checkFleetPrereqs } from '../fleet/prereqs.js';
import { until } from '../fleet/run.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';

const prereqs = await checkFleetPrereqs();
const tag = `f${randomBytes(3).toString('hex')}`;
// Hosts 2 and 3 share a subnet, and one address on it is pinned on both.
const SHARED_IP = '10.70.0.50';
const name = (host: FleetHost, what: string) => `corral-test-${tag}-h${host.state.index}-${what}`;
const count = <T>(items: T[], key: (t: T) => string) =>
  items.reduce<Record<string, number>>((acc, t) => {
    acc[key(t)] = (acc[key(t)] ?? 0) + 1;
    return acc;
  }, {});

describe.skipIf(!prereqs.ok)('a fleet of three hosts on one machine, two with their own dockerd', () => {
  let db: TestDatabase;
  let fleet: Fleet;
  let api: FleetApi;
  const hostIds = new Map<string, string>();
  const macs = new Map<string, string>();
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    db = await createTestDatabase('corral_fleet');
    const started = Date.now();
    fleet = await createFleet({
      hosts: 3,
      dockerHosts: 2,
      sameSubnet: [2, 3],
      tag,
      startController: {
        databaseUrl: db.url,
        dropDatabase: { adminUrl: ADMIN_URL, name: db.name },
        env: { CORRAL_HEARTBEAT_INTERVAL_MS: '1000', CORRAL_LOG_LEVEL: 'warn' },
      },
    });
    api = new FleetApi(fleet.apiUrl);
    for (const host of fleet.hosts) {
      const h = await until(
        `${host.name} online`,
        async () => {
          const found = await api.host(host.name);
          return found?.status === 'online' && found.facts ? found : undefined;
        },
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${host.agentLog()}\n${fleet.controller?.logTail()}`);
      });
      hostIds.set(host.name, h.id);
    }
    timings['fleet up, every host online'] = Date.now() - started;

    // A workload on every host: Docker containers in several states, LXC containers on cbr0.
    const [h1, h2, h3] = fleet.hosts as [FleetHost, FleetHost, FleetHost];
    const dockerRun = (host: FleetHost, what: string) =>
      host.docker(['run', '-d', '--name', name(host, what), '--label', 'corral.test=1', FLEET_IMAGE, 'sleep', '3600']);
    const dockerCreate = (host: FleetHost, what: string) =>
      host.docker(['create', '--name', name(host, what), '--label', 'corral.test=1', FLEET_IMAGE, 'sleep', '3600']);
    const lxc = async (host: FleetHost, what: string, opts: { start: boolean; ip?: string }) => {
      const { mac } = await host.lxcCreate(name(host, what), { ip: opts.ip });
      macs.set(name(host, what), mac);
      if (opts.start) await host.lxcStart(name(host, what));
    };
    await Promise.all([
      (async () => {
        await dockerRun(h1, 'd1');
        await dockerCreate(h1, 'd2');
        await lxc(h1, 'l1', { start: true });
        await lxc(h1, 'l2', { start: false });
      })(),
      (async () => {
        await dockerRun(h2, 'd1');
        await dockerRun(h2, 'd2');
        await h2.docker(['stop', '-t', '0', name(h2, 'd2')]);
        await lxc(h2, 'l1', { start: true, ip: SHARED_IP });
      })(),
      (async () => {
        await lxc(h3, 'l1', { start: true, ip: SHARED_IP });
        await lxc(h3, 'l2', { start: true });
      })(),
    ]);
    // Every running LXC container has its address from its host's dnsmasq.
    for (const host of fleet.hosts) {
      for (const c of (await host.lxcList()).filter((c) => c.state === 'running')) {
        await until(`${c.name} address`, () => host.lxcIp(c.name), 30_000, 200);
        await until(`${c.name} lease`, () => host.leases().some((l) => l.mac === macs.get(c.name)), 30_000, 200);
      }
    }
    const { ms, diff, converged } = await waitConverged(api, targets(), 30_000);
    timings['workload visible in the API'] = ms;
    if (!converged) throw new Error(`the API never matched the engines:\n${describeDiff(diff)}`);
  });

  afterAll(async () => {
    if (fleet) {
      const report = await fleet.destroy();
      console.log(`fleet ${tag} torn down: ${report.killed} process(es) killed, problems: ${report.problems.length}`);
      expect(report.problems).toEqual([]);
    } else {
      await db?.drop();
    }
    console.log(
      `fleet timings (ms):\n${Object.entries(timings)
        .map(([k, v]) => `  ${k.padEnd(32)} ${v}`)
        .join('\n')}`,
    );
  });

  const targets = () => fleet.hosts.map((host) => ({ host, id: hostIds.get(host.name)! }));

  it('registers every host with its own runtimes and bridge', async () => {
    const hosts = await api.hosts();
    expect(hosts.map((h) => [h.hostname, h.status]).sort()).toEqual(fleet.hosts.map((h) => [h.name, 'online']).sort());
    for (const host of fleet.hosts) {
      const h = hosts.find((x) => x.hostname === host.name)!;
      const runtimes = (await api.get<{ runtimes: { name: string; available: boolean }[] }>(`/api/v1/hosts/${h.id}`))
        .runtimes;
      expect(runtimes.find((r) => r.name === 'docker')?.available).toBe(host.hasDocker);
      expect(runtimes.find((r) => r.name === 'lxc')?.available).toBe(true);
      const bridges = await api.all<{ name: string; addresses: { address: string }[] }>(
        `/api/v1/bridges?host=${h.id}&name=cbr0`,
      );
      expect(bridges.map((b) => b.addresses.map((a) => a.address)[0])).toEqual([
        host.state.bridgeAddress.split('/')[0],
      ]);
    }
  });

  it('sums up to exactly what each host’s engines, bridges and dnsmasq say', async () => {
    const engines = await Promise.all(
      fleet.hosts.map(async (host) => {
        const [docker, lxc, bridges] = await Promise.all([
          host.dockerList(),
          host.lxcList(),
          host.sh('ip', ['-j', 'link', 'show', 'type', 'bridge']).then((o) => JSON.parse(o) as unknown[]),
        ]);
        const dockerCount = async (args: string[]) =>
          host.hasDocker ? new Set((await host.docker(args)).split('\n').filter(Boolean)).size : 0;
        return {
          docker,
          lxc,
          bridges: bridges.length,
          images: await dockerCount(['images', '-q', '--no-trunc']),
          networks: await dockerCount(['network', 'ls', '-q', '--no-trunc']),
          volumes: await dockerCount(['volume', 'ls', '-q']),
          leases: host.leases().length,
        };
      }),
    );
    const expected = {
      hosts: { online: 3, offline: 0, total: 3 },
      containers: {
        docker: count(
          engines.flatMap((e) => e.docker),
          (c) => c.state,
        ),
        lxc: count(
          engines.flatMap((e) => e.lxc),
          (c) => c.state,
        ),
      },
      totals: {
        containers: engines.reduce((n, e) => n + e.docker.length + e.lxc.length, 0),
        images: engines.reduce((n, e) => n + e.images, 0),
        volumes: engines.reduce((n, e) => n + e.volumes, 0),
        networks: engines.reduce((n, e) => n + e.networks, 0),
        bridges: engines.reduce((n, e) => n + e.bridges, 0),
        leases: engines.reduce((n, e) => n + e.leases, 0),
        // Every host is set up as lxc-net would: the doctor finds nothing wrong with this workload.
        findings: 0,
      },
    };
    // The workload spans every kind of state this test sets up, so the sums cannot be trivially zero.
    expect(expected.containers.docker).toEqual({ running: 2, created: 1, exited: 1 });
    expect(expected.containers.lxc).toEqual({ running: 4, stopped: 1 });
    const nonZero = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([, n]) => n > 0));
    const current = async () => {
      const s = await api.summary();
      return { ...s, containers: { docker: nonZero(s.containers.docker), lxc: nonZero(s.containers.lxc) } };
    };
    const summary = await until(
      'summary equal to the engines',
      async () => {
        const s = await current();
        return isDeepStrictEqual(s, expected) ? s : undefined;
      },
      15_000,
      250,
    ).catch(current);
    expect(summary).toEqual(expected);
  });

  it('gives each LXC container a lease from its own host’s dnsmasq, on that host’s cbr0', async () => {
    let checked = 0;
    for (const host of fleet.hosts) {
      const hostId = hostIds.get(host.name)!;
      const subnet = host.state.bridgeAddress.split('.').slice(0, 3).join('.');
      for (const c of (await host.lxcList()).filter((c) => c.state === 'running')) {
        const ip = (await host.lxcIp(c.name))!;
        expect(ip.startsWith(`${subnet}.`)).toBe(true);
        // The address may have come from DHCP a moment ago: wait for the agent to report it.
        const inApi = await until(
          `${c.name} with ${ip} in the API`,
          async () =>
            (await api.containers(hostId)).find((x) => x.runtime === 'lxc' && x.name === c.name && x.ipv4.includes(ip)),
          15_000,
          200,
        );
        expect(inApi.networks[0]).toMatchObject({ bridge: 'cbr0', mac: macs.get(c.name) });
        const lease = await until(
          `lease of ${c.name} in the API`,
          async () => (await api.leases(hostId)).find((l) => l.mac === macs.get(c.name) && l.ip === ip),
          15_000,
          200,
        );
        expect(lease).toMatchObject({ ip, bridge: 'cbr0', source: host.state.leaseFile });
        checked++;
      }
      const leases = await api.leases(hostId);
      // Only this host's lease file feeds this host's leases.
      expect(new Set(leases.map((l) => l.source))).toEqual(new Set(leases.length ? [host.state.leaseFile] : []));
      expect(leases.length).toBe(host.leases().length);
    }
    expect(checked).toBe(4);
  });

  it('finds both holders of one address on two hosts that share a subnet', async () => {
    const [, h2, h3] = fleet.hosts as [FleetHost, FleetHost, FleetHost];
    expect(await h2.lxcIp(name(h2, 'l1'))).toBe(SHARED_IP);
    expect(await h3.lxcIp(name(h3, 'l1'))).toBe(SHARED_IP);
    const { matches } = await api.ip(SHARED_IP);
    const seen = matches.map((m) => [m.host.hostname, m.kind, m.kind === 'container' ? m.name : m.mac]).sort();
    expect(seen).toEqual(
      [
        [h2.name, 'container', name(h2, 'l1')],
        [h2.name, 'lease', macs.get(name(h2, 'l1'))],
        [h3.name, 'container', name(h3, 'l1')],
        [h3.name, 'lease', macs.get(name(h3, 'l1'))],
      ].sort(),
    );
    for (const m of matches) expect(m.host.id).toBe(hostIds.get(m.host.hostname));
    const leaseSources = matches.filter((m) => m.kind === 'lease').map((m) => [m.host.hostname, m.source]);
    expect(leaseSources.sort()).toEqual(
      [
        [h2.name, h2.state.leaseFile],
        [h3.name, h3.state.leaseFile],
      ].sort(),
    );
  });
});
