import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet, FleetApi, type FleetHost } from '../fleet/index.js';
import { checkFleetPrereqs } from '../fleet/prereqs.js';
import { until } from '../fleet/run.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';
import { PULL_REPOSITORY, PULL_TAG, REGISTRY_OPEN } from '../support/registry.js';

const prereqs = await checkFleetPrereqs();
const tag = `p${randomBytes(3).toString('hex')}`;

interface Placement {
  outcome: string;
  hostIds: string[];
  commands: { id: string; status: string; output?: string; error: { message: string } | null }[];
}

// A placement onto a netns fleet host whose dockerd lacks the image: the create pulls it from the
// test registry (through the host's veth) in the same command, and the container runs.
describe.skipIf(!prereqs.ok)('placement onto a fleet host that lacks the image', () => {
  let db: TestDatabase;
  let fleet: Fleet;
  let api: FleetApi;
  let host: FleetHost;
  const image = `${REGISTRY_OPEN}/${PULL_REPOSITORY}:${PULL_TAG}`;
  const name = `corral-test-${tag}-pulled`;

  beforeAll(async () => {
    db = await createTestDatabase('corral_fleet_pull');
    fleet = await createFleet({
      hosts: 1,
      dockerHosts: 1,
      tag,
      startController: {
        databaseUrl: db.url,
        dropDatabase: { adminUrl: ADMIN_URL, name: db.name },
        env: { CORRAL_HEARTBEAT_INTERVAL_MS: '1000', CORRAL_LOG_LEVEL: 'warn' },
      },
    });
    api = new FleetApi(fleet.apiUrl);
    host = fleet.hosts[0]!;
    await until(
      `${host.name} online`,
      async () => {
        const found = await api.host(host.name);
        return found?.status === 'online' && found.facts ? found : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${host.agentLog()}\n${fleet.controller?.logTail()}`);
    });
  }, 240_000);

  afterAll(async () => {
    if (fleet) {
      const report = await fleet.destroy();
      expect(report.problems).toEqual([]);
    } else {
      await db?.drop();
    }
  });

  it('pulls the image there within the create command, and the container runs', async () => {
    const missing = await host.docker(['image', 'inspect', image]).then(
      () => false,
      () => true,
    );
    expect(missing).toBe(true);
    const res = await api.client.request<{ placement: Placement }>('POST', '/api/v1/containers?wait=5', {
      runtime: 'docker',
      spec: { image, name, labels: { 'corral.test': '1' } },
      hosts: [host.name],
    });
    expect(res.status).toBe(202);
    const placement = res.body.placement;
    expect(placement.outcome).toBe('placed');
    const command = await until(
      'create command ended',
      async () => {
        const c = (
          await api.client.request<Placement['commands'][number]>(
            'GET',
            `/api/v1/commands/${placement.commands[0]!.id}`,
          )
        ).body;
        return c.status === 'pending' || c.status === 'sent' || c.status === 'running' ? undefined : c;
      },
      120_000,
      250,
    );
    expect(command.error).toBeNull();
    expect(command.status).toBe('succeeded');
    expect(command.output).toContain('"status":"pulled"');
    expect((await host.docker(['inspect', '--format', '{{.State.Running}}', name])).trim()).toBe('true');
    expect((await host.docker(['image', 'inspect', '--format', '{{.Id}}', image])).trim()).toMatch(/^sha256:/);
  });
});
