import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Corral, type Page } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

// DELETE /api/v1/hosts/{id} with the built controller and a real agent on this machine's Docker and LXC.

// Every table that holds rows of one host.
const HOST_TABLES = ['Container', 'Image', 'Volume', 'Network', 'Bridge', 'Lease', 'Command', 'AgentCredential'];

describe('removing a host', () => {
  const corral = new Corral();
  const container = `corral-test-del-${corral.tag}`;

  const countRows = async (hostId: string): Promise<Record<string, number>> => {
    const client = new pg.Client({ connectionString: corral.db.url });
    await client.connect();
    try {
      const counts: Record<string, number> = {};
      for (const table of HOST_TABLES) {
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}" WHERE "hostId" = $1`, [
          hostId,
        ]);
        counts[table] = Number(rows[0]!.n);
      }
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM "Host" WHERE id = $1', [hostId]);
      counts.Host = Number(rows[0]!.n);
      return counts;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await corral.start();
    await sh('docker', ['run', '-d', '--name', container, '--label', 'corral.test=1', TEST_IMAGE, 'sleep', '3600']);
    await waitFor('container in the API', async () => (await corral.container(container))?.state === 'running');
  }, 180_000);

  afterAll(async () => {
    await sh('docker', ['rm', '-f', container]).catch(() => {});
    await corral.stop();
  });

  it('deletes the host with its inventory and commands, refuses its agent from then on, and audits it', async () => {
    const hostId = corral.hostId;
    const row = (await corral.container(container))!;
    const finished = await corral.command('POST', `/api/v1/hosts/${hostId}/refresh`);
    // One still running when the host goes: its row goes too.
    const running = await corral.request<{ id: string }>('POST', `/api/v1/containers/${row.id}/exec`, {
      command: ['sleep', '20'],
    });
    expect(running.status).toBe(202);
    await waitFor('exec running', async () => {
      const c = await corral.get<{ status: string }>(`/api/v1/commands/${running.body.id}`);
      return c.body.status === 'running';
    });
    const before = await countRows(hostId);
    // What the test relies on being there: inventory of several kinds, the two commands, the credential.
    expect(before).toMatchObject({ Host: 1, Command: 2, AgentCredential: 1 });
    for (const kind of ['Container', 'Image', 'Network', 'Bridge']) expect(before[kind], kind).toBeGreaterThan(0);

    const deletedAt = Date.now();
    const res = await corral.request('DELETE', `/api/v1/hosts/${hostId}`);
    expect(res.status).toBe(204);

    expect(await countRows(hostId)).toEqual(Object.fromEntries([...HOST_TABLES, 'Host'].map((t) => [t, 0])));
    expect((await corral.get(`/api/v1/hosts/${hostId}`)).status).toBe(404);
    expect((await corral.get(`/api/v1/containers/${row.id}`)).status).toBe(404);
    for (const id of [finished.id, running.body.id])
      expect((await corral.get(`/api/v1/commands/${id}`)).status).toBe(404);
    const everywhere = await corral.get<Page<{ hostId: string }>>('/api/v1/containers?limit=1000');
    expect(everywhere.body.items.filter((c) => c.hostId === hostId)).toEqual([]);

    // The agent still runs and keeps trying; the controller refuses its credential (401) every time.
    await waitFor(
      'the agent refused with 401',
      () =>
        corral.agent.output.some((l) => l.includes('controller refused the connection') && l.includes('"status":401')),
      20_000,
      100,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${corral.agent.tail(20)}`);
    });
    expect(corral.agent.running).toBe(true);
    await new Promise((r) => setTimeout(r, 2_000));
    const again = await corral.get<Page<{ id: string }>>(`/api/v1/hosts?name=${corral.hostname}`);
    expect(again.body.items).toEqual([]);
    expect(await countRows(hostId)).toMatchObject({ Host: 0, Container: 0 });

    const audit = await corral.get<Page<{ action: string; actor: string; outcome: string; statusCode: number }>>(
      `/api/v1/audit?targetId=${hostId}`,
    );
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({
        action: 'DELETE /api/v1/hosts/:id',
        actor: 'token:admin (CORRAL_ADMIN_TOKEN)',
        outcome: 'ok',
        statusCode: 204,
      }),
    );
    const denied = await corral.get<Page<{ at: string; detail: { reason: string } }>>(
      `/api/v1/audit?action=${encodeURIComponent('CONNECT /agent')}&since=${new Date(deletedAt).toISOString()}`,
    );
    expect(denied.body.items.length).toBeGreaterThan(0);
    expect(denied.body.items[0]!.detail.reason).toBe('invalid or revoked agent credential');
    // Deleting it again: nothing there.
    expect((await corral.request('DELETE', `/api/v1/hosts/${hostId}`)).status).toBe(404);
  });
});
