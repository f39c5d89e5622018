import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sampleDockerContainer, sampleFacts, sampleLxcContainer } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandDto } from '../../apps/controller/src/dtos/command.dto.js';
import { ConnectedHosts } from '../../apps/controller/src/services/connected-hosts.js';
import { actorOfRequestedBy } from '../../apps/controller/src/services/principal.js';
import { startTestController, type TestController } from '../support/controller.js';
import type { RawAgent } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';

const MAX_UPLOAD = 64 * 1024;

interface Reply<T = CommandDto> {
  status: number;
  location: string | null;
  body: T;
}

describe('commands on real Postgres, with a scripted agent', () => {
  let ctl: TestController;
  let dataDir: string;
  const agentId = randomUUID();
  let hostId: string;
  let dockerId: string;
  let lxcId: string;
  let imageId: string;
  let volumeId: string;
  let networkId: string;

  const request = async <T = CommandDto>(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> => {
    const init: RequestInit = { method, headers: { ...ctl.authHeaders, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${ctl.baseUrl}${url}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, location: res.headers.get('location'), body: parsed as T };
  };
  const post = <T = CommandDto>(url: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>('POST', url, body, headers);
  const count = () => ctl.prisma.command.count();

  // An agent for the test host: hello, welcome, and (first time) the inventory the commands act on.
  const connect = async (withSnapshot = false): Promise<RawAgent> => {
    const agent = await ctl.agent({ agentId, hostname: 'cmd-host' });
    agent.send(agent.hello({ agentId, hostname: 'cmd-host', runtimes: sampleFacts.runtimes }));
    const welcome = await agent.next('welcome');
    hostId = welcome.hostId;
    if (withSnapshot) {
      agent.send({
        type: 'snapshot',
        seq: 1,
        facts: sampleFacts,
        containers: [sampleDockerContainer, sampleLxcContainer],
        images: [{ id: 'sha256:abc', tags: ['busybox:latest'], sizeBytes: 1000, createdAt: null, labels: {} }],
        volumes: [{ name: 'data', driver: 'local', mountpoint: null, labels: {}, createdAt: null, usedBy: [] }],
        networks: [
          {
            id: 'net0123',
            name: 'backend',
            driver: 'bridge',
            scope: 'local',
            subnets: [],
            gateways: [],
            bridge: null,
            internal: false,
            labels: {},
            createdAt: null,
          },
        ],
        bridges: [],
        leases: [],
      });
      await agent.next('ack');
    }
    return agent;
  };

  const disconnect = async (agent: RawAgent) => {
    agent.close();
    await agent.waitClosed();
    // The controller notices the close on its own side; commands stay pending from then on.
    await waitFor('host disconnected', () => ctl.app.get(ConnectedHosts).get(hostId) === undefined);
  };

  // The command frame for `id`; frames of commands earlier tests left open are passed over.
  const commandFrame = async (agent: RawAgent, id: string) => {
    for (;;) {
      const frame = await agent.next('command');
      if (frame.id === id) return frame;
    }
  };

  const get = (id: string, wait = 0) => request('GET', `/api/v1/commands/${id}${wait ? `?wait=${wait}` : ''}`);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'corral-commands-'));
    ctl = await startTestController({ CORRAL_DATA_DIR: dataDir, CORRAL_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
    const agent = await connect(true);
    const rows = await ctl.prisma.container.findMany({ where: { hostId } });
    dockerId = rows.find((r) => r.runtime === 'docker')!.id;
    lxcId = rows.find((r) => r.runtime === 'lxc')!.id;
    imageId = (await ctl.prisma.image.findFirstOrThrow({ where: { hostId } })).id;
    volumeId = (await ctl.prisma.volume.findFirstOrThrow({ where: { hostId } })).id;
    networkId = (await ctl.prisma.network.findFirstOrThrow({ where: { hostId } })).id;
    await disconnect(agent);
  });

  afterAll(async () => {
    await ctl?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  // The audit entries of a command's end (not the request's own entry, which names the route).
  const endAudit = (id: string) =>
    ctl.prisma.auditEntry.findMany({
      where: { targetKind: 'command', targetId: id },
      select: {
        at: true,
        actor: true,
        actorId: true,
        action: true,
        targetKind: true,
        outcome: true,
        statusCode: true,
        detail: true,
      },
    });

  it('keeps a command pending while the host is away, delivers it on hello, and follows the agent to succeeded', async () => {
    const created = await post(`/api/v1/containers/${dockerId}/stop`, { timeoutSeconds: 5 });
    expect(created.status).toBe(202);
    expect(created.location).toBe(`/api/v1/commands/${created.body.id}`);
    expect(created.body).toMatchObject({
      status: 'pending',
      op: 'container.stop',
      hostId,
      targetKind: 'container',
      targetId: dockerId,
      target: { kind: 'container', runtime: 'docker', id: sampleDockerContainer.id, lxcPath: null },
      params: { timeoutSeconds: 5, kill: false },
      url: created.location,
    });
    const deadline = Date.parse(created.body.deadline) - Date.parse(created.body.createdAt);
    expect(deadline).toBe(300_000);
    expect((await get(created.body.id)).body.status).toBe('pending');

    const agent = await connect();
    const frame = await commandFrame(agent, created.body.id);
    expect(frame).toMatchObject({ id: created.body.id, op: 'container.stop', params: { timeoutSeconds: 5 } });
    expect((await get(created.body.id)).body.status).toBe('sent');

    agent.send({ type: 'command.accepted', id: frame.id });
    await waitFor('running', async () => (await get(frame.id)).body.status === 'running');

    agent.send({ type: 'command.result', id: frame.id, ok: true, result: { state: 'exited' } });
    const done = await get(frame.id, 5);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'succeeded', result: { state: 'exited' }, error: null });
    expect(done.body.finishedAt).not.toBeNull();
    // The end is in the audit log once, written by the statement that ended it, against who asked.
    expect(await endAudit(frame.id)).toEqual([
      {
        at: new Date(done.body.finishedAt!),
        ...actorOfRequestedBy(done.body.requestedBy),
        action: 'command container.stop',
        targetKind: 'command',
        outcome: 'succeeded',
        statusCode: null,
        detail: { hostId },
      },
    ]);
    await disconnect(agent);
  });

  it('?wait answers with the final command, output streamed on the way', async () => {
    const agent = await connect();
    const pending = post(`/api/v1/containers/${dockerId}/exec?wait=10`, { command: ['echo', 'hi'] });
    const row = await waitFor(
      'exec command',
      async () => (await ctl.prisma.command.findFirst({ where: { op: 'container.exec' } })) ?? undefined,
    );
    const frame = await commandFrame(agent, row.id);
    agent.send({ type: 'command.accepted', id: frame.id });
    agent.send({ type: 'command.output', id: frame.id, stream: 'stdout', chunk: 'hi\n' });
    agent.send({
      type: 'command.result',
      id: frame.id,
      ok: true,
      result: { exitCode: 0, stdout: 'hi\n', stderr: '', truncated: false },
    });
    const reply = await pending;
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ id: frame.id, status: 'succeeded', output: 'hi\n', result: { exitCode: 0 } });
    await disconnect(agent);
  });

  it('stores output and results carrying NUL bytes (binary output) without dropping the agent', async () => {
    const agent = await connect();
    const earlier = (await ctl.prisma.command.findMany({ select: { id: true } })).map((c) => c.id);
    const pending = post(`/api/v1/containers/${dockerId}/exec?wait=10`, { command: ['cat', '/bin/true'] });
    const row = await waitFor(
      'binary exec command',
      async () =>
        (await ctl.prisma.command.findFirst({ where: { op: 'container.exec', id: { notIn: earlier } } })) ?? undefined,
    );
    const frame = await commandFrame(agent, row.id);
    agent.send({ type: 'command.accepted', id: frame.id });
    agent.send({ type: 'command.output', id: frame.id, stream: 'stdout', chunk: 'ELF\u0000\u0000x' });
    agent.send({
      type: 'command.result',
      id: frame.id,
      ok: true,
      result: { exitCode: 0, stdout: 'ELF\u0000\u0000x', stderr: '', truncated: false },
    });
    const reply = await pending;
    expect(reply.body).toMatchObject({ status: 'succeeded', output: 'ELFx', result: { exitCode: 0, stdout: 'ELFx' } });
    expect(agent.closed).toBeNull();
    await disconnect(agent);
  });

  it('an Idempotency-Key retry returns the first command, and a reused key for another request is refused', async () => {
    const started = new Date(Date.now() - 1_000);
    const before = await count();
    const key = `restart-${randomUUID()}`;
    const first = await post(
      `/api/v1/containers/${dockerId}/restart`,
      { timeoutSeconds: 3 },
      { 'Idempotency-Key': key },
    );
    const again = await post(
      `/api/v1/containers/${dockerId}/restart`,
      { timeoutSeconds: 3 },
      { 'Idempotency-Key': key },
    );
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.location).toBe(first.location);
    const other = await post(
      `/api/v1/containers/${dockerId}/restart`,
      { timeoutSeconds: 9 },
      { 'Idempotency-Key': key },
    );
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ error: 'unprocessable', message: expect.stringContaining(key) });
    expect(await count()).toBe(before + 1);

    // One audit entry per request: the first written with its command (202), the retry and the
    // refused reuse by the audit interceptor (200, 422); none twice.
    const entries = await ctl.prisma.auditEntry.findMany({
      where: { action: 'POST /api/v1/containers/:id/restart container.restart', at: { gte: started } },
      orderBy: { at: 'asc' },
    });
    expect(entries.map((e) => e.statusCode).sort()).toEqual([200, 202, 422]);
    const made = entries.find((e) => e.statusCode === 202)!;
    expect(made).toMatchObject({ outcome: 'ok', targetKind: 'container', targetId: dockerId });
    expect(made.detail).toEqual({ op: 'container.restart', commandId: first.body.id });
  });

  it('makes one command for requests sent with one Idempotency-Key at the same time', async () => {
    const before = await count();
    const key = `race-${randomUUID()}`;
    const replies = await Promise.all(
      Array.from({ length: 4 }, () =>
        post(`/api/v1/containers/${dockerId}/restart`, { timeoutSeconds: 3 }, { 'Idempotency-Key': key }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 202]);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(await count()).toBe(before + 1);
  });

  it('sends sent and running commands again when the agent reconnects', async () => {
    const agent = await connect();
    const created = await post(`/api/v1/containers/${lxcId}/freeze`);
    expect(created.body.status).toBe('sent');
    await commandFrame(agent, created.body.id);
    await disconnect(agent);

    const second = await connect();
    await commandFrame(second, created.body.id);
    second.send({ type: 'command.accepted', id: created.body.id });
    await waitFor('running', async () => (await get(created.body.id)).body.status === 'running');
    await disconnect(second);

    const third = await connect();
    await commandFrame(third, created.body.id);
    third.send({ type: 'command.result', id: created.body.id, ok: true, result: {} });
    expect((await get(created.body.id, 5)).body.status).toBe('succeeded');
    await disconnect(third);
  });

  it('times a sent command out at its deadline, tells the agent to stop, and ignores its late result', async () => {
    const agent = await connect();
    const created = await post(`/api/v1/containers/${dockerId}/kill?deadline=1`, { signal: 'SIGTERM' });
    expect(created.body.status).toBe('sent');
    await commandFrame(agent, created.body.id);
    const ended = await get(created.body.id, 10);
    expect(ended.body).toMatchObject({ status: 'timed_out', error: { code: 'timeout', retryable: true } });
    expect((await agent.next('command.cancel')).id).toBe(created.body.id);
    expect(await endAudit(created.body.id)).toMatchObject([
      { action: 'command container.kill', outcome: 'timed_out', detail: { hostId, errorCode: 'timeout' } },
    ]);

    agent.send({ type: 'command.result', id: created.body.id, ok: true, result: { late: true } });
    agent.send({
      type: 'heartbeat',
      at: new Date().toISOString(),
      load: { load1: 0, load5: 0, load15: 0, memoryAvailableBytes: 1, uptimeSeconds: 1 },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await get(created.body.id)).body).toMatchObject({ status: 'timed_out', result: null });
    await disconnect(agent);
  });

  it('times out a pending command without sending anything, and takes the deadline from the body too', async () => {
    const created = await post(`/api/v1/containers/${dockerId}/start`, { deadlineSeconds: 1 });
    expect(Date.parse(created.body.deadline) - Date.parse(created.body.createdAt)).toBe(1000);
    expect((await get(created.body.id, 10)).body.status).toBe('timed_out');
    const agent = await connect();
    await new Promise((r) => setTimeout(r, 300));
    expect(agent.received.filter((m) => m.type === 'command' && m.id === created.body.id)).toEqual([]);
    await disconnect(agent);
  });

  it('cancels a pending command at once, refuses to cancel a final one, and lets the agent confirm a sent one', async () => {
    const pending = await post(`/api/v1/containers/${dockerId}/pause`);
    const canceled = await post(`/api/v1/commands/${pending.body.id}/cancel`);
    expect(canceled.status).toBe(202);
    expect(canceled.body).toMatchObject({ status: 'canceled', error: { code: 'canceled' } });
    const again = await post(`/api/v1/commands/${pending.body.id}/cancel`);
    expect(again.status).toBe(409);

    const agent = await connect();
    expect(agent.received.some((m) => m.type === 'command' && m.id === pending.body.id)).toBe(false);
    const sent = await post(`/api/v1/containers/${dockerId}/unpause`);
    await commandFrame(agent, sent.body.id);
    const asked = await post(`/api/v1/commands/${sent.body.id}/cancel`);
    expect(asked.body).toMatchObject({ status: 'sent', cancelRequestedAt: expect.any(String) });
    expect((await agent.next('command.cancel')).id).toBe(sent.body.id);
    agent.send({
      type: 'command.result',
      id: sent.body.id,
      ok: false,
      error: { code: 'canceled', message: 'stopped', retryable: false },
    });
    expect((await get(sent.body.id, 5)).body).toMatchObject({ status: 'canceled', error: { message: 'stopped' } });
    await disconnect(agent);
  });

  it('answers 4xx naming the problem, and creates nothing', async () => {
    const before = await count();
    const cases: [string, string, unknown, Record<string, string>, number, RegExp][] = [
      ['POST', `/api/v1/containers/${dockerId}/stop`, { timeoutSeconds: 'soon' }, {}, 400, /params\.timeoutSeconds/],
      ['POST', `/api/v1/containers/${dockerId}/stop`, { timeoutSecond: 3 }, {}, 400, /params\.timeoutSecond: unknown/],
      ['POST', `/api/v1/containers/${dockerId}/rename`, {}, {}, 400, /params\.name/],
      ['POST', `/api/v1/containers/${dockerId}/exec`, { command: 'ls -l' }, {}, 400, /params\.command/],
      ['POST', `/api/v1/containers/${dockerId}/start?bogus=1`, {}, {}, 400, /unknown parameter bogus/],
      ['POST', `/api/v1/containers/${dockerId}/start?deadline=100000`, {}, {}, 400, /deadline/],
      ['POST', `/api/v1/containers/${dockerId}/start?wait=-1`, {}, {}, 400, /wait/],
      ['POST', `/api/v1/containers/${dockerId}/start`, [1, 2], {}, 400, /JSON object/],
      ['POST', `/api/v1/containers/${dockerId}/start`, '{"x":', {}, 400, /not valid JSON/],
      ['POST', `/api/v1/containers/${dockerId}/start`, {}, { 'Idempotency-Key': ' ' }, 400, /Idempotency-Key/],
      ['POST', `/api/v1/containers/${dockerId}/start`, 'hello', { 'content-type': 'text/plain' }, 415, /json/],
      ['POST', '/api/v1/containers/not-a-uuid/start', {}, {}, 404, /no container is named or has the id "not-a-uuid"/],
      ['POST', '/api/v1/containers/bad%01name/start', {}, {}, 400, /^container: must be 1 to 512 printable characters/],
      // NUL is refused before any pipe runs (TextInputGuard), naming the field too.
      ['POST', '/api/v1/containers/bad%00name/start', {}, {}, 400, /^id: contains a NUL/],
      ['POST', `/api/v1/containers/${dockerId}/explode`, {}, {}, 404, /Cannot POST/],
      ['DELETE', `/api/v1/containers/${dockerId}?force=maybe`, undefined, {}, 400, /force/],
      ['DELETE', `/api/v1/containers/${dockerId}`, { force: true }, {}, 400, /no body/],
      ['POST', `/api/v1/containers/${randomUUID()}/start`, {}, {}, 404, /no container/],
      ['POST', `/api/v1/hosts/${randomUUID()}/refresh`, {}, {}, 404, /no host/],
      ['POST', `/api/v1/images/${randomUUID()}/tag`, { reference: 'a:b' }, {}, 404, /no image/],
      ['POST', `/api/v1/containers/${lxcId}/pause`, {}, {}, 422, /^lxc containers cannot pause; use freeze$/],
      ['POST', `/api/v1/containers/${dockerId}/freeze`, {}, {}, 422, /docker containers cannot freeze; use pause/],
      ['POST', `/api/v1/containers/${dockerId}/snapshots`, {}, {}, 422, /docker containers cannot snapshot create/],
      ['POST', `/api/v1/hosts/${hostId}/containers`, { runtime: 'lxc', name: 'x1' }, {}, 422, /no usable lxc/],
      ['POST', `/api/v1/hosts/${hostId}/containers`, { runtime: 'podman' }, {}, 400, /params\.runtime/],
      ['POST', `/api/v1/hosts/${hostId}/containers`, { runtime: 'docker' }, {}, 400, /params\.image/],
      ['POST', `/api/v1/commands/${randomUUID()}/cancel`, undefined, {}, 404, /no command/],
    ];
    for (const [method, url, body, headers, status, message] of cases) {
      const reply = await request<{ message: string }>(method, url, body, headers);
      expect({ method, url, status: reply.status }).toEqual({ method, url, status });
      expect(reply.body.message).toMatch(message);
    }
    const huge = { command: ['sh', '-c', 'x'.repeat(2 * 1024 * 1024)] };
    const tooBig = await post<{ error: string; message: string }>(`/api/v1/containers/${dockerId}/exec`, huge);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error).toBe('payload_too_large');
    expect(await count()).toBe(before);
  });

  it('routes inventory rows to protocol targets', async () => {
    const remove = await request('DELETE', `/api/v1/containers/${lxcId}?force&volumes=false`);
    expect(remove.status).toBe(202);
    expect(remove.body).toMatchObject({
      op: 'container.remove',
      target: { kind: 'container', runtime: 'lxc', id: 'c1', lxcPath: '/var/lib/lxc' },
      params: { force: true, volumes: false },
    });
    const restore = await post(`/api/v1/containers/${lxcId}/snapshots/snap0/restore`, { newName: 'c2' });
    expect(restore.body).toMatchObject({
      op: 'container.snapshot.restore',
      params: { snapshot: 'snap0', newName: 'c2' },
    });
    const list = await request('GET', `/api/v1/containers/${lxcId}/snapshots`);
    expect([list.status, list.body.op]).toEqual([202, 'container.snapshot.list']);
    const tag = await post(`/api/v1/images/${imageId}/tag`, { reference: 'mine:1' });
    expect(tag.body).toMatchObject({ target: { kind: 'image', id: 'sha256:abc' }, targetId: imageId });
    const volume = await request('DELETE', `/api/v1/volumes/${volumeId}`);
    expect(volume.body).toMatchObject({ target: { kind: 'volume', name: 'data' }, params: { force: false } });
    const connect = await post(`/api/v1/networks/${networkId}/connect`, { container: dockerId });
    expect(connect.body).toMatchObject({
      target: { kind: 'network', id: 'net0123' },
      params: { container: sampleDockerContainer.id },
    });
    const foreign = await post(`/api/v1/networks/${networkId}/connect`, { container: lxcId });
    expect(foreign.status).toBe(422);
    const create = await post(`/api/v1/hosts/${hostId}/containers`, { runtime: 'docker', image: 'busybox' });
    expect(create.body).toMatchObject({ op: 'container.create', target: { kind: 'host' }, targetId: null });
    const refresh = await post(`/api/v1/hosts/${hostId}/refresh`);
    expect(refresh.body.op).toBe('host.refresh');
  });

  it('lists commands newest first with filters and keyset pages', async () => {
    const all = await request<{ items: CommandDto[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/commands?host=${hostId}&target=${lxcId}`,
    );
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(4);
    expect(all.body.items.every((c) => c.targetId === lxcId)).toBe(true);
    expect(all.body.items[0]).not.toHaveProperty('result');
    const created = all.body.items.map((c) => c.createdAt);
    expect([...created].sort().reverse()).toEqual(created);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Reply<{ items: CommandDto[]; nextCursor: string | null }> = await request(
        'GET',
        `/api/v1/commands?host=cmd-host&target=${lxcId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.items.map((c) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((c) => c.id));

    const timedOut = await request<{ items: CommandDto[] }>(
      'GET',
      '/api/v1/commands?status=timed_out,canceled&op=container.kill',
    );
    expect(timedOut.body.items.map((c) => [c.op, c.status])).toEqual([['container.kill', 'timed_out']]);
    expect((await request('GET', '/api/v1/commands?color=red')).status).toBe(400);
    expect((await request('GET', '/api/v1/commands?status=exploded')).status).toBe(400);
  });

  it('documents the command routes in OpenAPI with their bodies and answers', async () => {
    type Operation = {
      parameters: { name: string; in: string }[];
      requestBody?: { required: boolean; content: Record<string, { schema: { properties?: object } }> };
      responses: Record<string, { content?: { 'application/json': { schema: { $ref: string } } } }>;
    };
    const doc = (
      await ctl.get<{ paths: Record<string, Record<string, Operation>>; components: { schemas: object } }>(
        '/api/docs-json',
      )
    ).body;
    const stop = doc.paths['/api/v1/containers/{id}/stop']!.post!;
    expect(stop.parameters.map((p) => `${p.in}:${p.name}`)).toEqual([
      'path:id',
      'query:wait',
      'query:deadline',
      'header:Idempotency-Key',
    ]);
    expect(stop.requestBody?.required).toBe(false);
    expect(Object.keys(stop.requestBody!.content['application/json']!.schema.properties!)).toEqual([
      'timeoutSeconds',
      'kill',
      'deadlineSeconds',
    ]);
    expect(stop.responses['202']!.content!['application/json'].schema.$ref).toBe('#/components/schemas/Command');
    expect(doc.paths['/api/v1/containers/{id}/rename']!.post!.requestBody?.required).toBe(true);
    const upload = doc.paths['/api/v1/hosts/{host}/images/import']!.post!;
    expect(Object.keys(upload.requestBody!.content)).toEqual([
      'application/x-tar',
      'application/gzip',
      'application/x-gzip',
      'application/octet-stream',
    ]);
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(['401', '403', '409']));
    expect(upload.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(['202', '400', '404', '413', '415', '422']));
    expect(doc.paths['/api/v1/commands/{id}/cancel']!.post!.responses).toHaveProperty('409');
    expect(doc.components.schemas).toHaveProperty('Command');
    expect(doc.components.schemas).toHaveProperty('CommandPage');
  });

  it('streams an image tarball to disk, serves it to the agent, and removes it once imported', async () => {
    const tarball = randomBytes(20_000);
    const url = `/api/v1/hosts/${hostId}/images/import?reference=corral-test/imported:1`;
    const created = await post(url, tarball, { 'content-type': 'application/x-tar', 'Idempotency-Key': 'import-1' });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ op: 'image.import', params: { reference: 'corral-test/imported:1' } });
    const uploadId = String(created.body.params.uploadId);

    // Only the credential of the host the import targets gets the tarball.
    expect((await fetch(`${ctl.baseUrl}/api/v1/uploads/${uploadId}`, { headers: ctl.authHeaders })).status).toBe(403);
    const served = await fetch(`${ctl.baseUrl}/api/v1/uploads/${uploadId}`, { headers: ctl.agentHeaders(agentId) });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('application/x-tar');
    expect(Buffer.from(await served.arrayBuffer()).equals(tarball)).toBe(true);

    const retry = await post(url, tarball, { 'content-type': 'application/x-tar', 'Idempotency-Key': 'import-1' });
    expect([retry.status, retry.body.id]).toEqual([200, created.body.id]);
    expect(await readdir(path.join(dataDir, 'uploads'))).toEqual([`${uploadId}.tar`]);

    const agent = await connect();
    await commandFrame(agent, created.body.id);
    agent.send({ type: 'command.result', id: created.body.id, ok: true, result: { imageId: 'sha256:def' } });
    expect((await get(created.body.id, 5)).body.status).toBe('succeeded');
    await waitFor('upload removed', async () => (await readdir(path.join(dataDir, 'uploads'))).length === 0);
    expect(await readdir(path.join(dataDir, 'uploads'))).toEqual([]);
    const gone = await fetch(`${ctl.baseUrl}/api/v1/uploads/${uploadId}`, { headers: ctl.agentHeaders(agentId) });
    expect(gone.status).toBe(404);
    await disconnect(agent);
  });

  it('refuses oversized and mistyped uploads without leaving a command or a file behind', async () => {
    const before = await count();
    const url = `/api/v1/hosts/${hostId}/images/import?reference=big:1`;
    const declared = await post<{ error: string }>(url, randomBytes(MAX_UPLOAD + 1), {
      'content-type': 'application/x-tar',
    });
    expect([declared.status, declared.body.error]).toEqual([413, 'payload_too_large']);

    // Chunked, so only counting the bytes can tell.
    const chunks = [randomBytes(40_000), randomBytes(40_000)];
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const streamed = await fetch(`${ctl.baseUrl}${url}`, {
      method: 'POST',
      body: stream,
      headers: { ...ctl.authHeaders, 'content-type': 'application/octet-stream' },
      duplex: 'half',
    } as RequestInit).then(
      (res) => res.status,
      () => 'connection closed',
    );
    expect([413, 'connection closed']).toContain(streamed);

    const mistyped = await post(url, 'not a tarball', { 'content-type': 'text/plain' });
    expect(mistyped.status).toBe(415);
    const noReference = await post(`/api/v1/hosts/${hostId}/images/import`, randomBytes(10), {
      'content-type': 'application/x-tar',
    });
    expect(noReference.status).toBe(400);
    expect(await count()).toBe(before);
    await waitFor('no upload files', async () => (await readdir(path.join(dataDir, 'uploads'))).length === 0);
    expect(await readdir(path.join(dataDir, 'uploads'))).toEqual([]);
  });
});
