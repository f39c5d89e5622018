import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiCommand } from '../fleet/fleet-api.js';
import { createFleet, FLEET_IMAGE, type Fleet, FleetApi, type FleetHost } from '../fleet/index.js';
import { describeDiff, type FleetDiff, waitConverged } from '../fleet/inventory-check.js';
import { checkFleetPrereqs } from '../fleet/prereqs.js';
import { sleep, until } from '../fleet/run.js';
import { type OutageMode, TcpProxy } from '../fleet/tcp-proxy.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';

const prereqs = await checkFleetPrereqs();
const tag = `x${randomBytes(3).toString('hex')}`;
const GRACE_MS = 3_000;
const HEARTBEAT_MS = 1_000;
// The agent's reconnect backoff is capped at 30 s (with jitter), plus a 10 s handshake timeout.
const RECONNECT_BOUND_MS = 45_000;
const OUTAGE_MS = 10_000;
// Both outages run, in CI too: `refuse` (connections reset: Postgres down or restarting) and
// `blackhole` (packets lost: a partition). CORRAL_FAULTS_DB_OUTAGE=refuse|blackhole runs one by hand.
const OUTAGE_MODES: OutageMode[] = outageModes(process.env.CORRAL_FAULTS_DB_OUTAGE);

function outageModes(only: string | undefined): OutageMode[] {
  if (!only) return ['refuse', 'blackhole'];
  if (only !== 'refuse' && only !== 'blackhole') {
    throw new Error(`CORRAL_FAULTS_DB_OUTAGE must be refuse or blackhole, got "${only}"`);
  }
  return [only];
}

interface ScenarioReport {
  scenario: string;
  convergeMs: number;
  measured: Record<string, number | string>;
  diff: FleetDiff;
}
const reports: ScenarioReport[] = [];

function printReports(): void {
  const lines = ['fault report (lost / duplicated / ghosts / wrong state must all be 0):'];
  for (const r of reports) {
    const extra = Object.entries(r.measured)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `  ${r.scenario.padEnd(40)} converged in ${String(r.convergeMs).padStart(6)} ms | lost ${r.diff.lost}, duplicated ${r.diff.duplicated}, ghosts ${r.diff.ghosts}, wrong state ${r.diff.wrongState}${extra ? ` | ${extra}` : ''}`,
    );
  }
  console.log(lines.join('\n'));
}

describe.skipIf(!prereqs.ok)('faults on a three-host fleet: every change arrives, none twice', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let fleet: Fleet;
  let api: FleetApi;
  const hostIds = new Map<string, string>();
  let seq = 0;
  const name = (host: FleetHost, what: string) => `corral-test-${tag}-h${host.state.index}-${what}${++seq}`;
  const targets = () => fleet.hosts.map((host) => ({ host, id: hostIds.get(host.name)! }));
  const dockerRun = async (host: FleetHost) => {
    const n = name(host, 'd');
    await host.docker(['run', '-d', '--name', n, '--label', 'corral.test=1', FLEET_IMAGE, 'sleep', '3600']);
    return n;
  };
  const lxcRun = async (host: FleetHost, start = true) => {
    const { name: n, mac } = await host.lxcCreate(name(host, 'l'));
    if (start) await host.lxcStart(n);
    return { name: n, mac };
  };
  // Waits until the API equals the engines; the time reported runs from `since` (the end of the fault).
  const converge = async (
    scenario: string,
    since: number,
    measured: Record<string, number | string>,
    timeoutMs = 90_000,
  ) => {
    const { diff, converged } = await waitConverged(api, targets(), timeoutMs);
    const ms = Date.now() - since;
    reports.push({ scenario, convergeMs: ms, measured, diff });
    if (!converged) {
      const logs = fleet.hosts.map((h) => `--- ${h.name}\n${h.agentLog(15)}`).join('\n');
      throw new Error(
        `${scenario}: API still differs from the engines after ${ms} ms:\n${describeDiff(diff)}\n${logs}\n--- controller\n${fleet.controller?.logTail(30)}`,
      );
    }
    expect(diff.lost + diff.duplicated + diff.ghosts + diff.wrongState).toBe(0);
    return ms;
  };
  const hostRow = async (host: FleetHost) => (await api.hosts()).filter((h) => h.hostname === host.name);
  // An exec that appends a line: counting the lines afterwards proves how often it ran.
  const appendCommand = async (hostId: string, container: string, file: string, delaySeconds = 0) => {
    const row = (await api.containers(hostId)).find((c) => c.name === container);
    if (!row) throw new Error(`${container} is not in the API`);
    const res = await api.post<ApiCommand>(`/api/v1/containers/${row.id}/exec`, {
      command: ['sh', '-c', `sleep ${delaySeconds}; echo ran >> ${file}`],
    });
    expect(res.status).toBe(202);
    return res.body;
  };
  const lines = async (host: FleetHost, container: string, file: string) =>
    (await host.docker(['exec', container, 'sh', '-c', `cat ${file} 2>/dev/null | wc -l`])).trim();

  beforeAll(async () => {
    db = await createTestDatabase('corral_faults');
    const admin = new URL(ADMIN_URL);
    proxy = await TcpProxy.start({ host: admin.hostname, port: Number(admin.port || 5432) });
    fleet = await createFleet({
      hosts: 3,
      dockerHosts: 2,
      tag,
      startController: {
        databaseUrl: proxy.url(db.url),
        dropDatabase: { adminUrl: ADMIN_URL, name: db.name },
        env: {
          CORRAL_OFFLINE_GRACE_MS: String(GRACE_MS),
          CORRAL_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
          CORRAL_LOG_LEVEL: 'warn',
        },
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
      );
      hostIds.set(host.name, h.id);
    }
    // Something on every host to lose: a running Docker container where there is Docker, a
    // running LXC container (with its lease) everywhere.
    await Promise.all(
      fleet.hosts.map(async (host) => {
        if (host.hasDocker) await dockerRun(host);
        const { mac } = await lxcRun(host);
        await until(`${host.name} first lease`, () => host.leases().some((l) => l.mac === mac), 30_000, 200);
      }),
    );
    await converge('baseline workload', Date.now(), {}, 30_000);
  });

  afterAll(async () => {
    if (fleet) {
      const report = await fleet.destroy();
      expect(report.problems).toEqual([]);
    } else {
      await db?.drop();
    }
    await proxy?.close();
    printReports();
  });

  it('an agent killed -9 and restarted: the changes made while it was dead arrive once, its pending command runs once', async () => {
    const h1 = fleet.host(1);
    const id = hostIds.get(h1.name)!;
    const target = await dockerRun(h1);
    await until('command target in the API', async () => (await api.containers(id)).some((c) => c.name === target));
    const before = await api.containers(id);
    await h1.killAgent('SIGKILL');
    const added = await dockerRun(h1);
    const removed = (await h1.dockerList()).find((c) => c.name !== added && c.name !== target)!;
    await h1.docker(['rm', '-f', removed.id]);
    await lxcRun(h1, false);
    const pending = await appendCommand(id, target, '/tmp/kill9');
    await sleep(500);
    expect((await api.command(pending.id)).status).toBe('pending');
    const restartedAt = Date.now();
    h1.startAgent();
    const ms = await converge('agent kill -9, restart', restartedAt, {});
    expect((await api.command(pending.id, 60)).status).toBe('succeeded');
    expect(await lines(h1, target, '/tmp/kill9')).toBe('1');
    const after = await api.containers(id);
    expect((await hostRow(h1)).map((h) => h.id)).toEqual([id]);
    // What survived keeps its Corral id: the restart updated rows, it did not recreate them.
    const kept = before.filter((c) => c.engineId !== removed.id);
    for (const c of kept) expect(after.find((a) => a.engineId === c.engineId)?.id).toBe(c.id);
    expect(ms).toBeLessThan(60_000);
  });

  it('the controller killed -9 and restarted: every agent reconnects in bounded time and state converges', async () => {
    const c = fleet.controller!;
    const [h1, h2, h3] = fleet.hosts as [FleetHost, FleetHost, FleetHost];
    // A command the agent is running when the controller dies must end once, not be lost or rerun.
    const target = await dockerRun(h2);
    const h2Id = hostIds.get(h2.name)!;
    await until('command target in the API', async () => (await api.containers(h2Id)).some((x) => x.name === target));
    const inFlight = await appendCommand(h2Id, target, '/tmp/crash', 3);
    await until('command running', async () => (await api.command(inFlight.id)).status === 'running', 30_000, 50);
    await c.stop('SIGKILL');
    // Changes while no controller listens.
    await Promise.all([dockerRun(h1), dockerRun(h2), lxcRun(h3)]);
    const restartedAt = Date.now();
    await c.start();
    const readyAt = Date.now();
    const reconnectMs: Record<string, number> = {};
    await Promise.all(
      fleet.hosts.map(async (host) => {
        const h = await until(
          `${host.name} reconnected`,
          async () => {
            const row = (await hostRow(host))[0];
            return row?.connectedAt && Date.parse(row.connectedAt) >= restartedAt ? row : undefined;
          },
          RECONNECT_BOUND_MS + 15_000,
          100,
        );
        reconnectMs[host.name] = Math.max(0, Date.parse(h.connectedAt!) - readyAt);
      }),
    );
    const worst = Math.max(...Object.values(reconnectMs));
    await converge('controller kill -9, restart', restartedAt, {
      'controller start ms': readyAt - restartedAt,
      'slowest reconnect after ready ms': worst,
    });
    expect(worst).toBeLessThan(RECONNECT_BOUND_MS);
    expect((await api.hosts()).map((h) => h.status)).toEqual(['online', 'online', 'online']);
    expect((await api.command(inFlight.id, 60)).status).toBe('succeeded');
    expect(await lines(h2, target, '/tmp/crash')).toBe('1');
  });

  it.each(OUTAGE_MODES)(
    'Postgres unreachable for 10 s (%s): the controller stays up, is not ready, recovers alone, loses no delta',
    async (OUTAGE_MODE) => {
      const c = fleet.controller!;
      const pid = c.pid;
      const [h1, h2, h3] = fleet.hosts as [FleetHost, FleetHost, FleetHost];
      // What the outage changes must exist (an earlier outage used some up): a Docker container on h2
      // to remove, a running LXC container on h3 to stop.
      if ((await h2.dockerList()).length === 0) await dockerRun(h2);
      if (!(await h3.lxcList()).some((x) => x.state === 'running')) await lxcRun(h3);
      await converge(`before the Postgres outage (${OUTAGE_MODE})`, Date.now(), {}, 30_000);
      expect(await c.readyz()).toBe(200);
      proxy.block(OUTAGE_MODE);
      const blockedAt = Date.now();
      const statuses: number[] = [];
      const poll = (async () => {
        for (let i = 0; i < 200 && Date.now() - blockedAt < OUTAGE_MS; i++) {
          statuses.push(await c.readyz());
          await sleep(250);
        }
      })();
      // Changes on every host while the database is away.
      const gone = (await h2.dockerList())[0]!;
      const lxcStopped = (await h3.lxcList()).find((x) => x.state === 'running')!;
      await Promise.all([
        dockerRun(h1),
        h2.docker(['rm', '-f', gone.id]),
        lxcRun(h2),
        h3.lxcStop(lxcStopped.name),
        lxcRun(h3, false),
      ]);
      await poll;
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - blockedAt)));
      proxy.unblock();
      const unblockedAt = Date.now();
      await until('readyz 200 again', async () => (await c.readyz()) === 200, 60_000, 100).catch((err) => {
        throw new Error(`${(err as Error).message} (controller running: ${c.running})\n${c.logTail(60)}`);
      });
      const readyMs = Date.now() - unblockedAt;
      const measured: Record<string, number> = {
        'readyz polls during outage': statuses.length,
        'non-503 answers during outage': statuses.filter((s) => s !== 503).length,
        'ready again after ms': readyMs,
      };
      await converge(`Postgres unreachable 10 s (${OUTAGE_MODE})`, unblockedAt, measured);
      // Agents whose deltas failed were disconnected (1011) and came back with a new hello.
      measured['agents that reconnected'] = (await api.hosts()).filter(
        (h) => h.connectedAt && Date.parse(h.connectedAt) > blockedAt,
      ).length;
      expect(c.pid).toBe(pid);
      expect(c.running).toBe(true);
      // Refused connections answer at once; a blackholed database makes each /readyz wait for its
      // 2 s timeout before it says 503.
      expect(statuses.length).toBeGreaterThan(OUTAGE_MODE === 'refuse' ? 10 : 3);
      expect(statuses.filter((s) => s !== 503)).toEqual([]);
    },
  );

  it('a host cut off past the grace period goes offline and stale; what changed meanwhile shows up after healing', async () => {
    const h2 = fleet.host(2);
    const id = hostIds.get(h2.name)!;
    const target = await dockerRun(h2);
    await until('command target in the API', async () => (await api.containers(id)).some((x) => x.name === target));
    const cutAt = Date.now();
    await h2.cutOff();
    const offline = await until(
      `${h2.name} offline`,
      async () => {
        const row = (await hostRow(h2))[0];
        return row?.status === 'offline' && row.stale ? row : undefined;
      },
      GRACE_MS + 6 * HEARTBEAT_MS + 10_000,
      100,
    );
    const offlineMs = Date.now() - cutAt;
    expect(offline.offlineAt).not.toBeNull();
    const staleView = await api.containers(id);
    expect(staleView.length).toBeGreaterThan(0);
    expect(staleView.every((x) => x.stale)).toBe(true);
    expect((await api.leases(id)).every((l) => l.stale)).toBe(true);
    // The others are not affected.
    for (const other of fleet.hosts.filter((h) => h !== h2)) expect((await hostRow(other))[0]?.status).toBe('online');

    // By hand, while nobody can hear: containers created and removed, leases added and removed.
    const waiting = await appendCommand(id, target, '/tmp/cutoff');
    const created = await dockerRun(h2);
    const removed = (await h2.dockerList()).find((x) => x.name !== created && x.name !== target)!;
    await h2.docker(['rm', '-f', removed.id]);
    const fresh = await lxcRun(h2);
    const doomed = (await h2.lxcList()).find((x) => x.name !== fresh.name)!;
    await h2.lxcStop(doomed.name);
    await h2.lxcDestroy(doomed.name);
    await until('new lease', () => h2.leases().some((l) => l.mac === fresh.mac), 30_000, 200);
    const doomedMac = staleView.find((x) => x.name === doomed.name)?.networks[0]?.mac;
    await h2.editLeases((leases) => leases.filter((l) => l.mac !== doomedMac));
    // Still the last known state while cut off.
    const meanwhile = await api.containers(id);
    expect(meanwhile.map((x) => x.name).sort()).toEqual(staleView.map((x) => x.name).sort());
    expect((await api.command(waiting.id)).status).toBe('pending');
    expect(await lines(h2, target, '/tmp/cutoff')).toBe('0');

    await h2.heal();
    const healedAt = Date.now();
    await until(`${h2.name} online`, async () => (await hostRow(h2))[0]?.status === 'online', RECONNECT_BOUND_MS, 100);
    const onlineMs = Date.now() - healedAt;
    await converge('host cut off past grace, healed', healedAt, {
      'offline after ms': offlineMs,
      'online after heal ms': onlineMs,
    });
    const after = await api.containers(id);
    expect(after.some((x) => x.stale)).toBe(false);
    expect(after.map((x) => x.name)).toContain(created);
    expect(after.map((x) => x.name)).not.toContain(removed.name);
    expect(after.map((x) => x.name)).not.toContain(doomed.name);
    expect((await api.leases(id)).map((l) => l.mac)).not.toContain(doomedMac);
    expect((await api.command(waiting.id, 60)).status).toBe('succeeded');
    expect(await lines(h2, target, '/tmp/cutoff')).toBe('1');
  });
});
