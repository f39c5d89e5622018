import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiCommand, Corral } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

// Delivery guarantees with the real agent and controller: retries, outages, crashes, duplicates.
describe('command delivery', () => {
  const corral = new Corral();
  const name = `corral-test-dlv-${corral.tag}`;
  let id = '';

  const getCommand = async (commandId: string) => (await corral.get<ApiCommand>(`/api/v1/commands/${commandId}`)).body;
  const countLines = async () =>
    (await corral.command('POST', `/api/v1/containers/${id}/exec`, { command: ['sh', '-c', 'wc -l < /tmp/count'] }))
      .result?.stdout;

  beforeAll(async () => {
    await corral.start();
    await corral.command('POST', `/api/v1/hosts/${corral.hostId}/containers`, {
      runtime: 'docker',
      image: TEST_IMAGE,
      name,
      command: ['sleep', '3600'],
      labels: { 'corral.test': '1' },
    });
    id = (await corral.container(name))!.id;
  });

  afterAll(async () => {
    await sh('docker', ['rm', '-f', name]).catch(() => {});
    await corral.stop();
  });

  it('answers a retried request with the same command when the Idempotency-Key repeats', async () => {
    const key = { 'idempotency-key': `restart-${corral.tag}` };
    const first = await corral.request<ApiCommand>(
      'POST',
      `/api/v1/containers/${id}/restart`,
      { timeoutSeconds: 1 },
      key,
    );
    const again = await corral.request<ApiCommand>(
      'POST',
      `/api/v1/containers/${id}/restart`,
      { timeoutSeconds: 1 },
      key,
    );
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(first.headers.get('location')).toBe(`/api/v1/commands/${first.body.id}`);
    const list = await corral.get<{ items: { id: string }[] }>(`/api/v1/commands?target=${id}&op=container.restart`);
    expect(list.body.items.map((c) => c.id)).toEqual([first.body.id]);
    await waitFor('restart done', async () => (await getCommand(first.body.id)).status === 'succeeded', 60_000);
    expect((await getCommand(first.body.id)).status).toBe('succeeded');
  });

  it('keeps a command pending while the agent is away and runs it once it is back', async () => {
    await corral.agent.kill('SIGTERM');
    const stop = await corral.request<ApiCommand>('POST', `/api/v1/containers/${id}/stop`, { timeoutSeconds: 1 });
    expect(stop.status).toBe(202);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await getCommand(stop.body.id)).status).toBe('pending');
    expect(JSON.parse(await sh('docker', ['inspect', name]))[0].State.Running).toBe(true);

    const doomed = await corral.request<ApiCommand>('POST', `/api/v1/containers/${id}/start?deadline=1`);
    await waitFor('short deadline expired', async () => (await getCommand(doomed.body.id)).status === 'timed_out');

    await corral.startAgent();
    const done = await corral.get<ApiCommand>(`/api/v1/commands/${stop.body.id}?wait=60`);
    expect(done.body.status).toBe('succeeded');
    expect(JSON.parse(await sh('docker', ['inspect', name]))[0].State.Running).toBe(false);
    expect((await getCommand(doomed.body.id)).status).toBe('timed_out');
    await corral.command('POST', `/api/v1/containers/${id}/start`);
  });

  it('ends a command interrupted when the agent is killed -9 during a long exec', async () => {
    const exec = await corral.request<ApiCommand>('POST', `/api/v1/containers/${id}/exec`, {
      command: ['sleep', '30'],
    });
    await waitFor('exec running', async () => (await getCommand(exec.body.id)).status === 'running');
    await corral.agent.kill('SIGKILL');
    await corral.startAgent();
    const done = await corral.get<ApiCommand>(`/api/v1/commands/${exec.body.id}?wait=60`);
    expect(done.body.status).toBe('failed');
    expect(done.body.error?.code).toBe('interrupted');
  });

  it('runs a command delivered twice only once', async () => {
    const append = await corral.command('POST', `/api/v1/containers/${id}/exec`, {
      command: ['sh', '-c', 'echo ran >> /tmp/count'],
    });
    expect(await countLines()).toBe('1\n');

    // Make the controller believe the result never arrived, then restart it: it redelivers the command.
    const client = new pg.Client({ connectionString: corral.db.url });
    await client.connect();
    try {
      await client.query(
        `UPDATE "Command" SET status = 'sent', "finishedAt" = NULL, result = NULL WHERE id = $1::uuid`,
        [append.id],
      );
    } finally {
      await client.end();
    }
    await corral.controller.kill('SIGKILL');
    await corral.startController();
    const redelivered = await waitFor(
      'redelivered command answered from the journal',
      async () => {
        const c = await getCommand(append.id);
        return c.status === 'succeeded' ? c : undefined;
      },
      60_000,
      200,
    );
    expect(redelivered.result).toMatchObject({ exitCode: 0 });
    expect(await countLines()).toBe('1\n');
  });

  it('refuses bad requests with a clear 4xx and creates nothing', async () => {
    const before = await corral.commandCount();
    const cases: [string, string, unknown, number, string][] = [
      ['POST', `/api/v1/containers/${id}/stop`, { timeoutSeconds: 'soon' }, 400, 'timeoutSeconds'],
      ['POST', `/api/v1/containers/${id}/exec`, {}, 400, 'command'],
      ['POST', `/api/v1/containers/${id}/teleport`, {}, 404, ''],
      ['POST', `/api/v1/hosts/${corral.hostId}/containers`, { runtime: 'docker' }, 400, 'image'],
      ['POST', `/api/v1/hosts/${corral.hostId}/containers`, { runtime: 'zone', image: 'x' }, 400, 'runtime'],
      ['POST', '/api/v1/containers/00000000-0000-4000-8000-000000000000/start', {}, 404, 'container'],
      ['POST', `/api/v1/containers/${id}/freeze`, {}, 422, 'freeze'],
      ['POST', `/api/v1/containers/${id}/exec`, { command: ['true'], extra: 1 }, 400, 'extra'],
    ];
    for (const [method, p, body, status, mention] of cases) {
      const res = await corral.request<{ message: string }>(method, p, body);
      expect(res.status, `${method} ${p} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.message.toLowerCase()).toContain(mention.toLowerCase());
    }
    const huge = await corral.request<{ message: string }>('POST', `/api/v1/containers/${id}/exec`, {
      command: ['echo', 'x'.repeat(2 * 1024 * 1024)],
    });
    expect(huge.status).toBe(413);
    const notJson = await corral.request('POST', `/api/v1/containers/${id}/stop`, '{"timeoutSeconds":', {
      'content-type': 'application/json',
    });
    expect(notJson.status).toBe(400);
    expect(await corral.commandCount()).toBe(before);
  });
});
