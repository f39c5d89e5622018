import type { Socket } from 'node:net';
import type { StreamOutcome } from '@corral/client';
import {
  decodeStreamData,
  encodeStreamData,
  STREAM_MAX_WINDOW,
  sampleDockerContainer,
  streamCapability,
} from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';
import type { RawAgent } from '../support/raw-agent.js';

// Two controller replicas on one database; the host's agent is connected to B, clients talk to A:
// A relays each stream over an internal WebSocket to B, which relays it to the agent.
describe('exec and log streams across controller replicas', () => {
  let a: TestController;
  let b: TestController;
  let agent: RawAgent;
  let hostId = '';
  const hostname = `relay-${Date.now()}`;
  const web = { ...sampleDockerContainer, id: 'd'.repeat(64), name: 'web' };
  // The internal sockets B accepted, to cut them as a network would.
  const internal: Socket[] = [];

  const collect = () => {
    const out: string[] = [];
    return {
      out,
      handlers: { onOutput: (_ch: 'stdout' | 'stderr', d: Uint8Array) => void out.push(Buffer.from(d).toString()) },
    };
  };

  beforeAll(async () => {
    a = await startTestController({ CORRAL_REPLICA_ID: 'replica-a' });
    b = await startTestController({ CORRAL_REPLICA_ID: 'replica-b' }, { replicaOf: a });
    b.app.getHttpServer().on('upgrade', (req: { url?: string }, socket: Socket) => {
      if (req.url === '/internal/streams') internal.push(socket);
    });
    agent = await b.agent({ hostname });
    agent.send(agent.hello({ capabilities: [streamCapability('exec', 'docker'), streamCapability('logs', 'docker')] }));
    hostId = (await agent.next('welcome')).hostId;
    agent.send(snapshotOf(1, [web]));
    await agent.next('ack');
    // B's replica row carries the URL it listens on once it listens.
    for (let i = 0; i < 50; i++) {
      const row = await a.prisma.replica.findUnique({ where: { id: 'replica-b' } });
      if (row?.url) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    agent?.close();
    await b?.close();
    await a?.close();
  });

  it('relays start, stdin, output, credit, resize, EOF and the exit code through the replica holding the agent', async () => {
    const { out, handlers } = collect();
    const pending = a.client.execStream(
      `${hostId}/web`,
      { command: ['sh'], tty: true, stdin: true, cols: 80, rows: 24, window: 1000 },
      handlers,
    );
    const open = await agent.next('stream.exec.open');
    expect(open).toMatchObject({
      target: { kind: 'container', runtime: 'docker', id: web.id },
      params: { command: ['sh'], tty: true, cols: 80 },
      window: 1000,
    });
    agent.send({ type: 'stream.opened', streamId: open.streamId, stdinWindow: 64 });
    const conn = await pending;
    // A's own started frame, with the container as A resolved it and the agent's stdin window.
    expect(conn.started).toMatchObject({ streamId: open.streamId, name: 'web', hostId, hostname, stdinWindow: 64 });

    // stdin: 64 bytes allowed, the rest waits for the agent's credit, relayed back through B and A.
    const writing = conn.write(Buffer.alloc(100, 0x61));
    let got = 0;
    while (got < 64) {
      const frame = decodeStreamData(await agent.nextBinary(), ['stdin']);
      expect(frame.ok && frame.streamId).toBe(open.streamId);
      got += frame.ok ? frame.payload.length : 0;
    }
    expect(got).toBe(64);
    await new Promise((r) => setTimeout(r, 150));
    expect(agent.binary).toHaveLength(0);
    agent.send({ type: 'stream.credit', streamId: open.streamId, bytes: 64 });
    await writing;
    const rest = decodeStreamData(await agent.nextBinary(), ['stdin']);
    expect(rest.ok && rest.payload.length).toBe(36);

    // Output, and the client's credit for it back to the agent (the client grants a quarter window at once).
    agent.socket.send(encodeStreamData(open.streamId, 'stderr', Buffer.from('oops\n')));
    agent.socket.send(encodeStreamData(open.streamId, 'stdout', Buffer.from('x'.repeat(300))));
    expect(await agent.next('stream.credit')).toMatchObject({ streamId: open.streamId, bytes: 305 });

    conn.resize(100, 30);
    expect(await agent.next('stream.resize')).toMatchObject({ streamId: open.streamId, cols: 100, rows: 30 });
    conn.eof();
    await agent.next('stream.eof');
    agent.send({ type: 'stream.exit', streamId: open.streamId, exitCode: 7 });
    expect(await conn.done).toEqual({ kind: 'exit', exitCode: 7, signal: null });
    expect(out.join('')).toBe(`oops\n${'x'.repeat(300)}`);

    // Audited once, on A (where the client was); B records nothing of it.
    const entries = async (ctl: TestController) =>
      ctl.prisma.auditEntry.findMany({ where: { action: { startsWith: 'STREAM' } }, select: { outcome: true } });
    for (let i = 0; i < 20 && !(await entries(a)).some((e) => e.outcome === 'exited 7'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const outcomes = (await entries(a)).map((e) => e.outcome);
    expect(outcomes.filter((o) => o === 'exited 7')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
  });

  it('relays a log follow, and the client leaving ends it at the agent', async () => {
    const { out, handlers } = collect();
    const pending = a.client.logsStream(`${hostId}/web`, { follow: true, tail: 10 }, handlers);
    const open = await agent.next('stream.logs.open');
    expect(open.params).toMatchObject({ follow: true, tail: 10 });
    agent.send({ type: 'stream.opened', streamId: open.streamId, stdinWindow: 0 });
    const conn = await pending;
    agent.socket.send(encodeStreamData(open.streamId, 'stdout', Buffer.from('line 1\n')));
    for (let i = 0; i < 50 && out.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(out.join('')).toBe('line 1\n');
    conn.close();
    expect(await agent.next('stream.close')).toMatchObject({ streamId: open.streamId, reason: 'the client left' });
  });

  it('holds output credit to one window on the way', async () => {
    const raw = new WebSocket(
      `${a.baseUrl.replace('http', 'ws')}/api/v1/containers/${encodeURIComponent(`${hostId}/web`)}/exec/stream`,
      { headers: a.authHeaders },
    );
    await new Promise((r) => raw.once('open', r));
    raw.send(JSON.stringify({ type: 'exec.start', command: ['cat'], window: STREAM_MAX_WINDOW }));
    const open = await agent.next('stream.exec.open');
    expect(open.window).toBe(STREAM_MAX_WINDOW);
    agent.send({ type: 'stream.opened', streamId: open.streamId, stdinWindow: 0 });
    // A client granting far more than it could hold: nothing reaches the agent.
    for (let i = 0; i < 3; i++) raw.send(JSON.stringify({ type: 'credit', bytes: STREAM_MAX_WINDOW }));
    await new Promise((r) => setTimeout(r, 200));
    expect(agent.received.filter((m) => m.type === 'stream.credit' && m.streamId === open.streamId)).toHaveLength(0);
    raw.close();
    await agent.next('stream.close');
  });

  it('tells the client, naming the replica, when the internal socket drops; the agent ends the process', async () => {
    internal.length = 0;
    const pending = a.client.execStream(`${hostId}/web`, { command: ['sh'] }, collect().handlers);
    const open = await agent.next('stream.exec.open');
    agent.send({ type: 'stream.opened', streamId: open.streamId, stdinWindow: 0 });
    const conn = await pending;
    expect(internal).toHaveLength(1);
    internal[0]!.destroy();
    const outcome = (await conn.done) as Extract<StreamOutcome, { kind: 'error' }>;
    expect(outcome).toMatchObject({ kind: 'error', code: 'agent_disconnected', retryable: true });
    expect(outcome.message).toContain('controller replica replica-b');
    expect(outcome.message).toContain('dropped');
    expect(await agent.next('stream.close')).toMatchObject({ streamId: open.streamId });
  });

  it('refuses the internal endpoint without the replica secret, before the socket exists', async () => {
    const url = `${b.baseUrl.replace('http', 'ws')}/internal/streams`;
    for (const headers of [{}, { authorization: 'Bearer not-the-secret' }, a.authHeaders]) {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(url, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => reject(new Error('the internal endpoint opened without the secret')));
        ws.on('error', () => {});
      });
      expect(status).toBe(401);
    }
    // With the secret but no stream named: 400.
    const secret = await a.prisma.clusterSetting.findUniqueOrThrow({ where: { key: 'replica-secret' } });
    expect(Buffer.from(secret.value, 'base64url')).toHaveLength(32);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${secret.value}` } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(status).toBe(400);
  });

  it('answers host_offline as before when the agent left, whether or not a replica is still named', async () => {
    agent.close();
    await agent.waitClosed();
    const attempt = () =>
      a.client
        .execStream(`${hostId}/web`, { command: ['sh'] }, collect().handlers)
        .catch((e: unknown) => e as { outcome: StreamOutcome });
    // The host still names B, which answers that its agent is gone.
    expect((await attempt()).outcome).toMatchObject({ kind: 'error', code: 'host_offline', retryable: true });
    // No replica named: A answers by itself.
    await a.prisma.host.update({ where: { id: hostId }, data: { replicaId: null } });
    internal.length = 0;
    expect((await attempt()).outcome).toMatchObject({ kind: 'error', code: 'host_offline', retryable: true });
    expect(internal).toHaveLength(0);
  });
});
