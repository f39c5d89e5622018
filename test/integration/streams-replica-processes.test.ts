import { randomBytes, randomUUID } from 'node:crypto';
import { CorralClient } from '@corral/client';
import { encodeStreamData, STREAM_CHUNK_BYTES, sampleDockerContainer, streamCapability } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { snapshotOf } from '../support/frames.js';
import { answerOf } from '../support/http.js';
import { AppProcess, freePort } from '../support/processes.js';
import { RawAgent } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;

// Two built controller processes on one database, each learning its own URL from the port it
// listens on (no CORRAL_REPLICA_URL): a stream opened on A reaches the agent connected to B, and
// what the second hop costs in throughput.
describe('streams between controller processes', () => {
  const admin = `corral-it-admin-${randomBytes(16).toString('hex')}`;
  let db: TestDatabase;
  const controllers: { process: AppProcess; base: string; client: CorralClient }[] = [];
  let agent: RawAgent;
  let hostId = '';

  beforeAll(async () => {
    db = await createTestDatabase('corral_relay');
    for (const id of ['proc-a', 'proc-b']) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const process = new AppProcess('controller', {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        CORRAL_ADMIN_TOKEN: admin,
        CORRAL_LOG_LEVEL: 'warn',
        CORRAL_REPLICA_ID: id,
      });
      process.start();
      await waitFor(`controller ${id} ready`, async () => (await fetch(`${base}/readyz`)).ok, 60_000, 100);
      controllers.push({ process, base, client: new CorralClient({ baseUrl: base, token: admin }) });
    }
    const b = controllers[1]!;
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const token = await answerOf<{ secret: string }>(
      await fetch(`${b.base}/api/v1/enrollment-tokens`, { method: 'POST', headers, body: '{}' }),
    );
    const agentId = randomUUID();
    const hostname = `proc-relay-${Date.now()}`;
    const enrolled = await answerOf<{ credential: string }>(
      await fetch(`${b.base}/api/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: token.body.secret, agentId, hostname }),
      }),
    );
    agent = await RawAgent.connect(
      `${b.base.replace('http', 'ws')}/agent`,
      { authorization: `Bearer ${enrolled.body.credential}` },
      { agentId, hostname },
    );
    agent.send(agent.hello({ capabilities: [streamCapability('exec', 'docker')] }));
    hostId = (await agent.next('welcome')).hostId;
    agent.send(snapshotOf(1, [{ ...sampleDockerContainer, id: 'e'.repeat(64), name: 'web' }]));
    await agent.next('ack');
  }, 120_000);

  afterAll(async () => {
    agent?.close();
    for (const { process } of controllers) await process.kill();
    await db?.drop();
  });

  // Streams `bytes` of output within the credit the controller forwards, as an agent does; answers MiB/s.
  async function throughput(client: CorralClient, bytes: number): Promise<number> {
    let received = 0;
    const pending = client.execStream(
      `${hostId}/web`,
      { command: ['cat'], window: 4 * MiB },
      {
        onOutput: (_ch, d) => {
          received += d.length;
        },
      },
    );
    const open = await agent.next('stream.exec.open');
    agent.send({ type: 'stream.opened', streamId: open.streamId, stdinWindow: 0 });
    const conn = await pending;
    const at = Date.now();
    const chunk = randomBytes(STREAM_CHUNK_BYTES);
    let credit = open.window;
    for (let sent = 0; sent < bytes; ) {
      while (credit < chunk.length) credit += (await agent.next('stream.credit', 10_000)).bytes;
      agent.socket.send(encodeStreamData(open.streamId, 'stdout', chunk));
      credit -= chunk.length;
      sent += chunk.length;
    }
    agent.send({ type: 'stream.exit', streamId: open.streamId, exitCode: 0 });
    expect(await conn.done).toEqual({ kind: 'exit', exitCode: 0, signal: null });
    const seconds = (Date.now() - at) / 1000;
    expect(received).toBe(bytes);
    // Credits granted after the last byte may still be on their way.
    await new Promise((r) => setTimeout(r, 100));
    agent.received.splice(0);
    return bytes / MiB / seconds;
  }

  it('relays a stream opened on A to the agent on B, at a throughput measured against B directly', async () => {
    const [a, b] = controllers as [(typeof controllers)[0], (typeof controllers)[0]];
    const direct = await throughput(b.client, 64 * MiB);
    const relayed = await throughput(a.client, 64 * MiB);
    console.log(
      `64 MiB of exec output: ${direct.toFixed(0)} MiB/s through B alone, ${relayed.toFixed(0)} MiB/s via A -> B`,
    );
    expect(relayed).toBeGreaterThan(0);
  }, 120_000);
});
