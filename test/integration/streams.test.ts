import { createHash } from 'node:crypto';
import { CorralApiError, CorralClient, CorralStreamError, type StreamOutcome } from '@corral/client';
import {
  decodeStreamData,
  encodeStreamData,
  STREAM_MAX_WINDOW,
  sampleDockerContainer,
  sampleLxcContainer,
  streamCapability,
} from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';
import type { RawAgent } from '../support/raw-agent.js';

// The stream sockets of the controller against a hand-driven agent: what the upgrade refuses, what
// the relay passes each way, the credits it holds both sides to, and every way a stream ends.
describe('exec and log streams through the controller', () => {
  let ctl: TestController;
  let agent: RawAgent;
  let hostId = '';
  const hostname = `streams-${Date.now()}`;
  const web = { ...sampleDockerContainer, id: 'a'.repeat(64), name: 'web' };
  const box = { ...sampleLxcContainer, name: 'box' };

  const collect = () => {
    const out: string[] = [];
    return {
      out,
      handlers: { onOutput: (_ch: 'stdout' | 'stderr', d: Uint8Array) => void out.push(Buffer.from(d).toString()) },
    };
  };

  // Opens an exec stream and plays the agent's part of the handshake.
  async function openExec(
    client: CorralClient,
    input: Parameters<CorralClient['execStream']>[1],
    handlers = collect().handlers,
  ) {
    const pending = client.execStream(`${hostId}/web`, input, handlers);
    const open = await agent.next('stream.exec.open');
    agent.send({ type: 'stream.opened', streamId: open.streamId, stdinWindow: 64 });
    return { conn: await pending, open };
  }

  beforeAll(async () => {
    ctl = await startTestController();
    agent = await ctl.agent({ hostname });
    agent.send(agent.hello({ capabilities: [streamCapability('exec', 'docker'), streamCapability('logs', 'docker')] }));
    hostId = (await agent.next('welcome')).hostId;
    agent.send(snapshotOf(1, [web, box]));
    await agent.next('ack');
  });

  afterAll(async () => {
    agent?.close();
    await ctl?.close();
  });

  it('relays start, stdin, output, resize, EOF and the exit code', async () => {
    const { out, handlers } = collect();
    const { conn, open } = await openExec(
      ctl.client,
      { command: ['sh'], tty: true, stdin: true, cols: 80, rows: 24 },
      handlers,
    );
    expect(open).toMatchObject({
      target: { kind: 'container', runtime: 'docker', id: web.id },
      params: { command: ['sh'], tty: true, cols: 80 },
    });
    expect(conn.started).toMatchObject({ name: 'web', runtime: 'docker', hostId, stdinWindow: 64 });
    await conn.write(Buffer.from('ls\n'));
    const stdin = decodeStreamData(await agent.nextBinary(), ['stdin']);
    expect(stdin.ok && Buffer.from(stdin.payload).toString()).toBe('ls\n');
    agent.socket.send(encodeStreamData(open.streamId, 'stdout', Buffer.from('file-a\n')));
    conn.resize(100, 30);
    expect(await agent.next('stream.resize')).toMatchObject({ cols: 100, rows: 30 });
    conn.eof();
    await agent.next('stream.eof');
    agent.send({ type: 'stream.exit', streamId: open.streamId, exitCode: 3 });
    expect(await conn.done).toEqual({ kind: 'exit', exitCode: 3, signal: null });
    expect(out.join('')).toBe('file-a\n');
  });

  it("waits for the agent's stdin credit, and gives output credit back as the client consumes it", async () => {
    const { conn, open } = await openExec(ctl.client, { command: ['cat'], stdin: true, window: 1000 });
    const writing = conn.write(Buffer.alloc(100, 0x61));
    let got = 0;
    while (got < 64) got += decodeStreamData(await agent.nextBinary(), ['stdin']).ok ? 64 : 0;
    // 64 bytes were allowed; the rest waits for credit.
    await new Promise((r) => setTimeout(r, 100));
    expect(agent.binary).toHaveLength(0);
    agent.send({ type: 'stream.credit', streamId: open.streamId, bytes: 64 });
    await writing;
    const rest = decodeStreamData(await agent.nextBinary(), ['stdin']);
    expect(rest.ok && rest.payload.length).toBe(36);
    agent.socket.send(encodeStreamData(open.streamId, 'stdout', Buffer.alloc(300)));
    expect(await agent.next('stream.credit')).toMatchObject({ bytes: 300 });
    conn.close();
    expect(await agent.next('stream.close')).toMatchObject({ streamId: open.streamId, reason: 'the client left' });
  });

  it('ends a stream whose agent sends past the credit, and caps what a client grants', async () => {
    const { conn, open } = await openExec(ctl.client, { command: ['cat'], window: 10 });
    agent.socket.send(encodeStreamData(open.streamId, 'stdout', Buffer.alloc(11)));
    const outcome = (await conn.done) as Extract<StreamOutcome, { kind: 'error' }>;
    expect(outcome.code).toBe('flow_control');
    await agent.next('stream.close');
    // A raw client granting far more than it could hold: the agent is never owed more than the cap.
    const raw = new WebSocket(
      `${ctl.baseUrl.replace('http', 'ws')}/api/v1/containers/${encodeURIComponent(`${hostId}/web`)}/exec/stream`,
      {
        headers: ctl.authHeaders,
      },
    );
    await new Promise((r) => raw.once('open', r));
    raw.send(JSON.stringify({ type: 'exec.start', command: ['cat'], window: STREAM_MAX_WINDOW }));
    const second = await agent.next('stream.exec.open');
    agent.send({ type: 'stream.opened', streamId: second.streamId, stdinWindow: 0 });
    for (let i = 0; i < 3; i++) raw.send(JSON.stringify({ type: 'credit', bytes: STREAM_MAX_WINDOW }));
    await new Promise((r) => setTimeout(r, 200));
    expect(agent.received.filter((m) => m.type === 'stream.credit')).toHaveLength(0);
    raw.close();
    await agent.next('stream.close');
  });

  it('tells the client that the agent disconnected, naming it', async () => {
    const second = await ctl.agent({ hostname: `${hostname}-b` });
    second.send(second.hello({ capabilities: [streamCapability('exec', 'docker')] }));
    await second.next('welcome');
    second.send(snapshotOf(1, [{ ...web, id: 'b'.repeat(64), name: 'solo' }]));
    await second.next('ack');
    const pending = ctl.client.execStream('solo', { command: ['sh'] }, collect().handlers);
    const open = await second.next('stream.exec.open');
    second.send({ type: 'stream.opened', streamId: open.streamId, stdinWindow: 0 });
    const conn = await pending;
    second.socket.terminate();
    const outcome = (await conn.done) as Extract<StreamOutcome, { kind: 'error' }>;
    expect(outcome.code).toBe('agent_disconnected');
    expect(outcome.message).toContain(`${hostname}-b`);
    // Offline now: a new stream is refused with the reason.
    const refused = await ctl.client
      .execStream('solo', { command: ['sh'] }, collect().handlers)
      .catch((e: unknown) => e);
    expect((refused as CorralStreamError).outcome).toMatchObject({ kind: 'error', code: 'host_offline' });
  });

  it('refuses in the upgrade as the API would: token, role, name', async () => {
    const anonymous = new CorralClient({ baseUrl: ctl.baseUrl });
    const noToken = await anonymous.execStream('web', { command: ['sh'] }, collect().handlers).catch((e: unknown) => e);
    expect((noToken as CorralApiError).status).toBe(401);
    const viewer = new CorralClient({
      baseUrl: ctl.baseUrl,
      token: (await ctl.token('viewer', 'stream viewer')).secret,
    });
    const denied = (await viewer
      .execStream('web', { command: ['sh'] }, collect().handlers)
      .catch((e: unknown) => e)) as CorralApiError;
    expect(denied.status).toBe(403);
    expect(denied.message).toContain('operator');
    const logs = viewer.logsStream('web', { follow: true }, collect().handlers);
    const logOpen = await agent.next('stream.logs.open');
    expect(logOpen.params).toMatchObject({ follow: true, tail: null });
    agent.send({ type: 'stream.opened', streamId: logOpen.streamId, stdinWindow: 0 });
    (await logs).close();
    await agent.next('stream.close');
    const unknown = (await ctl.client
      .execStream('nothing-here', { command: ['sh'] }, collect().handlers)
      .catch((e: unknown) => e)) as CorralApiError;
    expect(unknown.status).toBe(404);
    // "web" is a container on two hosts.
    const twin = await ctl.agent({ hostname: `${hostname}-twin` });
    twin.send(twin.hello({ capabilities: [] }));
    const twinId = (await twin.next('welcome')).hostId;
    twin.send(snapshotOf(1, [{ ...web, id: 'c'.repeat(64) }]));
    await twin.next('ack');
    const ambiguous = (await ctl.client
      .execStream('web', { command: ['sh'] }, collect().handlers)
      .catch((e: unknown) => e)) as CorralApiError;
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.candidates).toHaveLength(2);
    // The twin's agent announced no streams.
    const unsupported = await ctl.client
      .execStream(`${twinId}/web`, { command: ['sh'] }, collect().handlers)
      .catch((e: unknown) => e);
    expect((unsupported as CorralStreamError).outcome).toMatchObject({ kind: 'error', code: 'unsupported' });
    const lxc = await ctl.client
      .execStream(`${hostId}/box`, { command: ['sh'] }, collect().handlers)
      .catch((e: unknown) => e);
    expect((lxc as CorralStreamError).message).toContain('cannot stream exec for lxc');
    twin.close();
  });

  it("closes a stream within 2 s of its token being revoked, or expiring behind the controller's back", async () => {
    for (const how of ['revoke', 'expire'] as const) {
      const token = await ctl.token('operator', `stream ${how}`);
      const client = new CorralClient({ baseUrl: ctl.baseUrl, token: token.secret });
      const { conn } = await openExec(client, { command: ['sh'] });
      const at = Date.now();
      if (how === 'revoke') await ctl.client.call('DELETE', `/api/v1/tokens/${token.id}`);
      else
        await ctl.prisma.apiToken.update({ where: { id: token.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const outcome = (await conn.done) as Extract<StreamOutcome, { kind: 'error' }>;
      expect(Date.now() - at).toBeLessThan(2_000);
      expect(outcome).toMatchObject({
        code: 'unauthorized',
        message: how === 'revoke' ? 'the token was revoked' : 'the token expired',
      });
      await agent.next('stream.close');
    }
  });

  describe("with the web page's session cookie", () => {
    const signIn = async (role: 'viewer' | 'operator') => {
      const token = await ctl.token(role, `stream cookie ${role} ${Date.now()}`);
      const res = await fetch(`${ctl.baseUrl}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: token.secret }),
      });
      expect(res.status).toBe(201);
      const cookie = /corral_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
      const { csrfToken } = (await res.json()) as { csrfToken: string };
      return { token, cookie, csrfToken };
    };
    // What a browser sends on the page's own WebSocket: the cookie and the page's Origin, nothing else.
    const browserLike = (cookie: string, origin: string | null = ctl.baseUrl) =>
      new CorralClient({
        baseUrl: ctl.baseUrl,
        headers: { cookie: `corral_session=${cookie}`, ...(origin ? { origin } : {}) },
      });

    it("opens streams from the page's own origin, with the token's role", async () => {
      const operator = await signIn('operator');
      const { conn } = await openExec(browserLike(operator.cookie), { command: ['sh'], tty: true, stdin: true });
      expect(conn.started).toMatchObject({ name: 'web', hostId });
      conn.close();
      await agent.next('stream.close');
      const viewer = await signIn('viewer');
      const denied = (await browserLike(viewer.cookie)
        .execStream(`${hostId}/web`, { command: ['sh'] }, collect().handlers)
        .catch((e: unknown) => e)) as CorralApiError;
      expect(denied.status).toBe(403);
      expect(denied.message).toContain('operator');
      const logs = browserLike(viewer.cookie).logsStream(`${hostId}/web`, { follow: true }, collect().handlers);
      const open = await agent.next('stream.logs.open');
      agent.send({ type: 'stream.opened', streamId: open.streamId, stdinWindow: 0 });
      (await logs).close();
      await agent.next('stream.close');
    });

    it('refuses the cookie without an Origin, from another origin, and once signed out', async () => {
      const { cookie, csrfToken } = await signIn('operator');
      const attempt = (client: CorralClient) =>
        client
          .execStream(`${hostId}/web`, { command: ['sh'] }, collect().handlers)
          .catch((e: unknown) => e) as Promise<CorralApiError>;
      const noOrigin = await attempt(browserLike(cookie, null));
      expect(noOrigin.status).toBe(403);
      expect(noOrigin.message).toContain('Origin');
      // Another port of the same host is the same site (the browser sends the cookie) but another origin.
      const port = Number(new URL(ctl.baseUrl).port);
      for (const origin of [`http://127.0.0.1:${port + 1}`, 'https://evil.example', 'null']) {
        const foreign = await attempt(browserLike(cookie, origin));
        expect(foreign.status, origin).toBe(403);
      }
      const out = await fetch(`${ctl.baseUrl}/api/v1/session`, {
        method: 'DELETE',
        headers: { cookie: `corral_session=${cookie}`, 'x-corral-csrf': csrfToken, origin: ctl.baseUrl },
      });
      expect(out.status).toBe(204);
      expect((await attempt(browserLike(cookie))).status).toBe(401);
      const audit = await ctl.client.page<{ action: string; outcome: string; detail: { reason?: string } }>('/audit', {
        limit: 50,
        action: 'STREAM',
      });
      const reasons = audit.items.filter((e) => e.outcome === 'denied').map((e) => e.detail.reason ?? '');
      expect(reasons.some((r) => r.includes(`http://127.0.0.1:${port + 1}`))).toBe(true);
    });

    it('ends a stream within 2 s of its session being signed out, expiring, or its token revoked', async () => {
      const cases = {
        'sign-out': 'the session ended (signed out)',
        'signed out elsewhere': 'the session ended (signed out)',
        'session expiry': 'the session expired',
        'token revoked': 'the token was revoked',
      } as const;
      for (const [how, reason] of Object.entries(cases)) {
        const { token, cookie, csrfToken } = await signIn('operator');
        const { conn } = await openExec(browserLike(cookie), { command: ['sh'], tty: true, stdin: true });
        const secretHash = createHash('sha256').update(cookie).digest('hex');
        const at = Date.now();
        if (how === 'sign-out') {
          const res = await fetch(`${ctl.baseUrl}/api/v1/session`, {
            method: 'DELETE',
            headers: { cookie: `corral_session=${cookie}`, 'x-corral-csrf': csrfToken, origin: ctl.baseUrl },
          });
          expect(res.status).toBe(204);
        } else if (how === 'signed out elsewhere') {
          // Another controller's sign-out: only the row is gone.
          expect((await ctl.prisma.webSession.deleteMany({ where: { secretHash } })).count).toBe(1);
        } else if (how === 'session expiry') {
          await ctl.prisma.webSession.updateMany({
            where: { secretHash },
            data: { expiresAt: new Date(Date.now() - 1000) },
          });
        } else {
          await ctl.client.call('DELETE', `/api/v1/tokens/${token.id}`);
        }
        const outcome = (await conn.done) as Extract<StreamOutcome, { kind: 'error' }>;
        expect(Date.now() - at, how).toBeLessThan(2_000);
        expect(outcome, how).toMatchObject({ code: 'unauthorized', message: reason });
        await agent.next('stream.close');
      }
    });
  });

  it('audits the opening and the end of each stream', async () => {
    const page = await ctl.client.page<{
      action: string;
      outcome: string;
      targetId: string;
      detail: Record<string, unknown>;
    }>('/audit', { limit: 200 });
    const actions = page.items.map((e) => `${e.action} ${e.outcome}`);
    expect(actions).toContain('STREAM /api/v1/containers/:id/exec/stream ok');
    expect(actions).toContain('STREAM /api/v1/containers/:id/exec/stream end exited 3');
    expect(actions).toContain('STREAM /api/v1/containers/:id/exec/stream denied');
    expect(actions).toContain('STREAM /api/v1/containers/:id/logs/stream end client left');
    const end = page.items.find((e) => e.outcome === 'exited 3')!;
    expect(end.detail).toMatchObject({ bytesOut: 7, bytesIn: 3, exitCode: 3 });
  });
});
