import { randomUUID } from 'node:crypto';
import { MASKED_VALUE, sampleDockerContainer } from '@corral/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import type { RawAgent } from '../support/raw-agent.js';
import { SseClient } from '../support/sse.js';

type Json = Record<string, unknown>;

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

// Streams live only as long as their token; viewers never see what only operators may.
describe('event streams and sensitive data', () => {
  let ctl: TestController;
  let agent: RawAgent;
  const agentId = randomUUID();
  let hostId: string;
  let containerId: string;
  let operator: Record<string, string>;
  let viewer: Record<string, string>;
  const opened: SseClient[] = [];

  const stream = async (headers: Record<string, string>, query = '') => {
    const client = await SseClient.open(`${ctl.baseUrl}/api/v1/events${query}`, headers);
    opened.push(client);
    return client;
  };

  beforeAll(async () => {
    ctl = await startTestController();
    agent = await ctl.agent({ agentId, hostname: 'secrets-host' });
    agent.send(agent.hello());
    hostId = (await agent.next('welcome')).hostId;
    agent.send(agent.snapshot({ containers: [sampleDockerContainer] }));
    await agent.next('ack');
    containerId = (await ctl.prisma.container.findFirstOrThrow({ where: { hostId } })).id;
    operator = bearer((await ctl.token('operator')).secret);
    viewer = bearer((await ctl.token('viewer')).secret);
  });

  afterEach(() => {
    for (const client of opened.splice(0)) client.close();
  });

  afterAll(async () => {
    agent.close();
    await ctl.close();
  });

  describe('a stream ends within 2 s of its token', () => {
    it('being revoked through the API, with the reason', async () => {
      const token = await ctl.token('viewer', 'short-lived');
      const client = await stream(bearer(token.secret));
      const started = Date.now();
      expect((await ctl.request('DELETE', `/api/v1/tokens/${token.id}`)).status).toBe(200);
      await client.waitFor((c) => c.ended, 2_000);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(client.messages.at(-1)).toMatchObject({
        event: 'closed',
        data: JSON.stringify({ reason: 'the token was revoked' }),
      });
    });

    it('being revoked behind this controller (another controller, the command line)', async () => {
      const token = await ctl.token('operator', 'revoked elsewhere');
      const client = await stream(bearer(token.secret));
      await ctl.prisma.apiToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } });
      const started = Date.now();
      await client.waitFor((c) => c.ended, 2_000);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(client.events('closed')).toEqual([{ reason: 'the token was revoked' }]);
    });

    it('expiring', async () => {
      const token = await ctl.token('viewer', 'expiring');
      const client = await stream(bearer(token.secret));
      await ctl.prisma.apiToken.update({ where: { id: token.id }, data: { expiresAt: new Date(Date.now() + 300) } });
      await client.waitFor((c) => c.ended, 2_300);
      expect(client.events('closed')).toEqual([{ reason: 'the token expired' }]);
    });

    it('and the stream sees no event after the revocation', async () => {
      const token = await ctl.token('operator', 'no events after');
      const client = await stream(bearer(token.secret));
      await ctl.request('DELETE', `/api/v1/tokens/${token.id}`);
      await client.waitFor((c) => c.ended, 2_000);
      const count = client.messages.length;
      await ctl.request('POST', `/api/v1/containers/${containerId}/start`, {}, operator);
      await new Promise((r) => setTimeout(r, 200));
      expect(client.messages).toHaveLength(count);
      await agent.next('command');
    });
  });

  describe('a viewer sees no env, command line, output or result', () => {
    let execId: string;
    let createId: string;
    let placementId: string;
    let viewerStream: SseClient;
    let operatorStream: SseClient;

    beforeAll(async () => {
      viewerStream = await SseClient.open(`${ctl.baseUrl}/api/v1/events?kind=command`, viewer);
      operatorStream = await SseClient.open(`${ctl.baseUrl}/api/v1/events?kind=command`, operator);
      const exec = await ctl.request<{ id: string }>(
        'POST',
        `/api/v1/containers/${containerId}/exec`,
        { command: ['mysql', '-psecret-pw'], env: { DB_PASSWORD: 'hunter2', API_KEY: 'k-123', PLAIN: 'visible' } },
        operator,
      );
      expect(exec.status).toBe(202);
      execId = exec.body.id;
      const frame = await agent.next('command');
      expect(frame.id).toBe(execId);
      agent.send({ type: 'command.accepted', id: execId });
      agent.send({ type: 'command.output', id: execId, stream: 'stdout', chunk: 'row: s3cret-data\n' });
      agent.send({
        type: 'command.result',
        id: execId,
        ok: true,
        result: { exitCode: 0, stdout: 'row: s3cret-data\n', stderr: '', truncated: false },
      });
      const done = await ctl.get<{ status: string }>(`/api/v1/commands/${execId}?wait=5`, operator);
      expect(done.body.status).toBe('succeeded');

      const placed = await ctl.request<{ placement: { id: string; commandIds: string[] } }>(
        'POST',
        '/api/v1/containers',
        { runtime: 'docker', spec: { image: 'busybox', name: 'env-web', env: { SECRET_TOKEN: 't0k', MODE: 'prod' } } },
        operator,
      );
      expect(placed.status).toBe(202);
      placementId = placed.body.placement.id;
      createId = placed.body.placement.commandIds[0]!;
      await agent.next('command');
      await viewerStream.waitFor((c) => c.events().some((e) => (e.data as Json).id === createId));
      await operatorStream.waitFor((c) => c.events('command-output').length > 0);
    });

    afterAll(() => {
      viewerStream.close();
      operatorStream.close();
    });

    const leaks = (body: unknown) => {
      const text = JSON.stringify(body);
      return ['hunter2', 'k-123', 'secret-pw', 's3cret-data', 't0k', 'visible', 'prod'].filter((s) => text.includes(s));
    };

    it('on GET /commands/{id}', async () => {
      const res = await ctl.get<Json>(`/api/v1/commands/${execId}`, viewer);
      expect(res.status).toBe(200);
      expect(leaks(res.body)).toEqual([]);
      expect(res.body).toMatchObject({
        op: 'container.exec',
        result: null,
        output: '',
        params: { maxOutputBytes: 1048576 },
      });
      expect(res.body.withheld).toEqual(['params.env', 'params.command', 'result', 'output']);
    });

    it('on GET /commands', async () => {
      const res = await ctl.get<{ items: Json[] }>('/api/v1/commands', viewer);
      expect(res.body.items.map((c) => c.id)).toEqual(expect.arrayContaining([execId, createId]));
      expect(leaks(res.body)).toEqual([]);
    });

    it('on placements that embed commands', async () => {
      for (const path of [`/api/v1/placements/${placementId}`, '/api/v1/placements']) {
        const res = await ctl.get(path, viewer);
        expect(res.status).toBe(200);
        expect(leaks(res.body)).toEqual([]);
      }
      const one = await ctl.get<{ request: { spec: Json }; commands: Json[] }>(
        `/api/v1/placements/${placementId}`,
        viewer,
      );
      expect(one.body.request.spec).toMatchObject({ image: 'busybox', name: 'env-web' });
      expect(one.body.commands[0]).toMatchObject({ withheld: ['params.env'] });
    });

    it('on the event stream: command events without them, and no command-output', async () => {
      expect(viewerStream.events('command-output')).toEqual([]);
      const events = viewerStream.events().filter((e) => (e.data as Json).id === execId);
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['command-running', 'command-succeeded']));
      expect(leaks(viewerStream.messages)).toEqual([]);
    });

    it('while operators see them, with secret-looking env values masked in events for every role', async () => {
      const full = await ctl.get<{ params: { env: Json; command: string[] }; result: Json; output: string }>(
        `/api/v1/commands/${execId}`,
        operator,
      );
      expect(full.body.params.env).toEqual({ DB_PASSWORD: 'hunter2', API_KEY: 'k-123', PLAIN: 'visible' });
      expect(full.body.result.stdout).toBe('row: s3cret-data\n');
      expect(full.body.output).toBe('row: s3cret-data\n');

      expect(operatorStream.events('command-output')).toHaveLength(1);
      const event = operatorStream
        .events()
        .find((e) => (e.data as Json).id === execId && e.type === 'command-succeeded');
      expect((event!.data as { params: { env: Json } }).params.env).toEqual({
        DB_PASSWORD: MASKED_VALUE,
        API_KEY: MASKED_VALUE,
        PLAIN: 'visible',
      });
      const create = operatorStream.events().find((e) => (e.data as Json).id === createId);
      expect((create!.data as { params: { env: Json } }).params.env).toEqual({
        SECRET_TOKEN: MASKED_VALUE,
        MODE: 'prod',
      });
    });
  });
});

// Per-token limits, configurable; other tokens are not affected.
describe('per-token limits', () => {
  let ctl: TestController;

  beforeAll(async () => {
    ctl = await startTestController({
      CORRAL_STREAMS_PER_TOKEN: '2',
      CORRAL_REQUESTS_PER_SECOND_PER_TOKEN: '2',
      CORRAL_REQUEST_BURST_PER_TOKEN: '5',
    });
  });

  afterAll(() => ctl.close());

  it('refuses a stream past CORRAL_STREAMS_PER_TOKEN with 429 and Retry-After, and frees the place on close', async () => {
    const token = bearer((await ctl.token('viewer', 'streams')).secret);
    const other = bearer((await ctl.token('viewer', 'other streams')).secret);
    const a = await SseClient.open(`${ctl.baseUrl}/api/v1/events`, token);
    const b = await SseClient.open(`${ctl.baseUrl}/api/v1/events`, token);
    const third = await fetch(`${ctl.baseUrl}/api/v1/events`, { headers: token });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(((await third.json()) as { message: string }).message).toMatch(/CORRAL_STREAMS_PER_TOKEN/);
    const c = await SseClient.open(`${ctl.baseUrl}/api/v1/events`, other);
    a.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await SseClient.open(`${ctl.baseUrl}/api/v1/events`, token);
    for (const client of [b, c, again]) client.close();
  });

  it('answers 429 with Retry-After past the request rate of one token, and serves the others', async () => {
    const token = bearer((await ctl.token('viewer', 'busy')).secret);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${ctl.baseUrl}/api/v1/hosts`, { headers: token });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${ctl.baseUrl}/api/v1/hosts`, { headers: ctl.authHeaders })).status).toBe(200);
  });
});
