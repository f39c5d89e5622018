import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodeStreamData, sampleDockerContainer, streamCapability } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issue, makeCa } from '../support/certificates.js';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';
import type { RawAgent } from '../support/raw-agent.js';

// Two replicas serving HTTPS and WSS, each with a certificate of its own from one private CA (each
// one's CORRAL_TLS_CERT file carries the CA after its certificate, as docs/architecture.md says):
// a stream asked of A for a host on B crosses the replicas' own TLS connection, which checks B's
// certificate against that CA and B's address before the replica secret is sent.
describe('a stream relayed between replicas over TLS', () => {
  let dir = '';
  let a: TestController;
  let b: TestController;
  let c: TestController;
  let agent: RawAgent;
  let stranger: RawAgent;
  let strangerHostId = '';
  let hostId = '';
  const hostname = `tls-relay-${Date.now()}`;
  const web = { ...sampleDockerContainer, id: 'e'.repeat(64), name: 'web' };
  const rejectUnauthorized = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

  const replica = async (name: string, ca: Awaited<ReturnType<typeof makeCa>>) => {
    const own = await issue(ca, name, { names: ['IP:127.0.0.1'] });
    const chain = path.join(dir, `${name}-chain.pem`);
    await writeFile(chain, Buffer.concat([own.cert, await readFile(ca.certFile)]));
    return { CORRAL_TLS_CERT: chain, CORRAL_TLS_KEY: own.keyFile };
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-relay-tls-'));
    const ca = await makeCa(path.join(dir, 'ca'));
    // This test's own clients (API, agent) do not know the CA. The replicas' connection to each
    // other never uses this default: it checks the peer itself (cluster/replica-tls.ts).
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    a = await startTestController({ CORRAL_REPLICA_ID: 'tls-a', ...(await replica('a', ca)) });
    b = await startTestController({ CORRAL_REPLICA_ID: 'tls-b', ...(await replica('b', ca)) }, { replicaOf: a });
    // C's certificate comes from a CA that A does not know.
    const other = await makeCa(path.join(dir, 'other-ca'), 'Another CA');
    c = await startTestController({ CORRAL_REPLICA_ID: 'tls-c', ...(await replica('c', other)) }, { replicaOf: a });
    expect(a.baseUrl.startsWith('https://')).toBe(true);
    agent = await b.agent({ hostname });
    agent.send(agent.hello({ capabilities: [streamCapability('exec', 'docker')] }));
    hostId = (await agent.next('welcome')).hostId;
    agent.send(snapshotOf(1, [web]));
    await agent.next('ack');
    stranger = await c.agent({ hostname: `${hostname}-c` });
    stranger.send(stranger.hello({ capabilities: [streamCapability('exec', 'docker')] }));
    strangerHostId = (await stranger.next('welcome')).hostId;
    stranger.send(snapshotOf(1, [web]));
    await stranger.next('ack');
    // The replica rows carry their https:// URLs once they listen.
    for (let i = 0; i < 50; i++) {
      const rows = await a.prisma.replica.findMany({ where: { id: { in: ['tls-b', 'tls-c'] } } });
      if (rows.filter((r) => r.url).length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    agent?.close();
    stranger?.close();
    await c?.close();
    await b?.close();
    await a?.close();
    if (rejectUnauthorized === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = rejectUnauthorized;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('relays an exec asked of A through B to the agent and back, exit code included', async () => {
    const row = await a.prisma.replica.findUnique({ where: { id: 'tls-b' } });
    expect(row?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const out: string[] = [];
    const pending = a.client.execStream(
      `${hostId}/web`,
      { command: ['sh', '-c', 'echo over tls'], tty: false, stdin: false, window: 1000 },
      { onOutput: (_ch, data) => void out.push(Buffer.from(data).toString()) },
    );
    const open = await agent.next('stream.exec.open');
    expect(open).toMatchObject({
      target: { kind: 'container', id: web.id },
      params: { command: ['sh', '-c', 'echo over tls'] },
    });
    agent.send({ type: 'stream.opened', streamId: open.streamId, stdinWindow: 0 });
    const conn = await pending;
    expect(conn.started).toMatchObject({ streamId: open.streamId, hostId, hostname });
    agent.socket.send(encodeStreamData(open.streamId, 'stdout', Buffer.from('over tls\n')));
    agent.send({ type: 'stream.exit', streamId: open.streamId, exitCode: 0 });
    expect(await conn.done).toEqual({ kind: 'exit', exitCode: 0, signal: null });
    expect(out.join('')).toBe('over tls\n');
  });

  it('refuses to relay to a replica whose certificate it cannot chain, before anything is sent to it', async () => {
    const outcome = await a.client
      .execStream(`${strangerHostId}/web`, { command: ['true'], tty: false, stdin: false, window: 1000 }, {})
      .then(
        () => 'opened',
        (err: Error) => err.message,
      );
    expect(outcome).toContain('tls-c');
    expect(outcome).toMatch(/could not be reached .*certificate is not trusted/);
    expect(stranger.received.some((m) => m.type === 'stream.exec.open')).toBe(false);
  });
});
