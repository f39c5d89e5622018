import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, FLEET_IMAGE, type Fleet, FleetApi, type FleetHost } from '../fleet/index.js';
import { describeDiff, waitConverged } from '../fleet/inventory-check.js';
import { checkFleetPrereqs } from '../fleet/prereqs.js';
import { until } from '../fleet/run.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';

// A real dockerd restarted under a running agent: the one-host fleet's private dockerd (in its own
// network namespace, never this machine's main one) is stopped and started again.

const prereqs = await checkFleetPrereqs();
const tag = `r${randomBytes(3).toString('hex')}`;
// The agent probes an unavailable runtime on each resync (CORRAL_RESYNC_INTERVAL_MS, 30 s by default).
const RESYNC_MS = 30_000;

type Runtime = { name: string; available: boolean; version: string | null; reason: string | null };
type HostWithFacts = { status: string; facts: { runtimes: Runtime[] } | null };

describe.skipIf(!prereqs.ok)('a dockerd restarted under a running agent', () => {
  let db: TestDatabase;
  let fleet: Fleet;
  let api: FleetApi;
  let host: FleetHost;
  let hostId = '';
  const names = {
    always: `corral-test-${tag}-always`,
    plain: `corral-test-${tag}-plain`,
    created: `corral-test-${tag}-created`,
    after: `corral-test-${tag}-after`,
  };

  const docker = async () =>
    (await api.get<HostWithFacts>(`/api/v1/hosts/${hostId}`)).facts?.runtimes.find((r) => r.name === 'docker');
  const converge = async (what: string, timeoutMs: number) => {
    const result = await waitConverged(api, [{ host, id: hostId }], timeoutMs);
    if (!result.converged) {
      throw new Error(`${what}: API differs from the engines:\n${describeDiff(result.diff)}\n${host.agentLog(20)}`);
    }
    return result.ms;
  };

  beforeAll(async () => {
    db = await createTestDatabase('corral_e2e');
    fleet = await createFleet({
      hosts: 1,
      dockerHosts: 1,
      tag,
      startController: {
        databaseUrl: db.url,
        dropDatabase: { adminUrl: ADMIN_URL, name: db.name },
        env: { CORRAL_HEARTBEAT_INTERVAL_MS: '1000', CORRAL_OFFLINE_GRACE_MS: '3000', CORRAL_LOG_LEVEL: 'warn' },
      },
    });
    api = new FleetApi(fleet.apiUrl);
    host = fleet.host(1);
    hostId = (
      await until(
        `${host.name} online`,
        async () => {
          const h = await api.host(host.name);
          return h?.status === 'online' && h.facts ? h : undefined;
        },
        60_000,
      )
    ).id;
    const run = (name: string, extra: string[]) =>
      host.docker(
        ['run', '-d', '--name', name, '--label', 'corral.test=1', '--stop-timeout', '1', ...extra, FLEET_IMAGE].concat([
          'sleep',
          '3600',
        ]),
      );
    await run(names.always, ['--restart', 'always']);
    await run(names.plain, []);
    await host.docker(['create', '--name', names.created, '--label', 'corral.test=1', FLEET_IMAGE, 'sleep', '3600']);
    await converge('before the restart', 30_000);
  }, 240_000);

  afterAll(async () => {
    if (fleet) {
      const report = await fleet.destroy();
      expect(report.problems).toEqual([]);
    } else {
      await db?.drop();
    }
  });

  it('the agent reports Docker unavailable while it is down and available again after, with the right inventory', async () => {
    expect(await docker()).toMatchObject({ available: true });
    const before = await api.containers(hostId);
    expect(before.map((c) => c.name).sort()).toEqual([names.always, names.created, names.plain].sort());

    const stoppedAt = Date.now();
    await host.stopDockerd();
    const down = await until(
      'Docker unavailable in the API',
      async () => {
        const d = await docker();
        return d?.available === false ? d : undefined;
      },
      30_000,
      100,
    );
    const downMs = Date.now() - stoppedAt;
    expect(down.reason).toMatch(/Docker (socket .* not found|daemon unreachable)/);
    expect(down.version).toBeNull();
    // What Docker held is not reported as if it were still there.
    await until('Docker containers gone from the API', async () => (await api.containers(hostId)).length === 0, 10_000);
    expect((await api.host(host.name))?.status).toBe('online');

    const startedAt = Date.now();
    await host.startDockerd();
    const up = await until(
      'Docker available again in the API',
      async () => {
        const d = await docker();
        return d?.available ? d : undefined;
      },
      RESYNC_MS + 15_000,
      200,
    );
    const upMs = Date.now() - startedAt;
    expect(up.version).toMatch(/^\d+\.\d+/);
    expect(up.reason).toBeNull();
    // The API equals `docker ps -a` on that daemon: the restart-always container runs again, the
    // others are as dockerd left them (exited, created).
    const convergedMs = await converge('after the restart', 30_000);
    const after = await api.containers(hostId);
    const state = (name: string) => after.find((c) => c.name === name)?.state;
    expect([state(names.always), state(names.plain), state(names.created)]).toEqual(['running', 'exited', 'created']);

    // The agent follows the new daemon's events again: a change shows without waiting for a resync.
    const changedAt = Date.now();
    await host.docker(['run', '-d', '--name', names.after, '--label', 'corral.test=1', FLEET_IMAGE, 'sleep', '3600']);
    await until(
      'new container in the API',
      async () => (await api.containers(hostId)).some((c) => c.name === names.after && c.state === 'running'),
      10_000,
      100,
    );
    const liveMs = Date.now() - changedAt;
    await converge('after a change on the restarted daemon', 10_000);
    console.log(
      `dockerd restart: unavailable in the API ${downMs} ms after SIGTERM; available ${upMs} ms after start; ` +
        `converged ${convergedMs} ms later; a new container showed in ${liveMs} ms`,
    );
  });
});
