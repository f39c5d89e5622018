import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sampleDockerContainer, sampleFacts } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { answerOf } from '../support/http.js';
import { AppProcess, freePort } from '../support/processes.js';
import { RawAgent } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;
const CLIENTS = 100;
const CHUNK = 'o'.repeat(64 * 1024);
// Enough output for every client to fall far past the kernel's socket buffers and its own buffer.
const CHUNKS = 320;

async function rssBytes(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

// The built controller as a process: a hundred event stream clients that never read must not hold
// its memory. Each is cut off once a bounded buffer behind, and its memory is freed at once.
describe('slow event stream readers', () => {
  const admin = `corral-e2e-admin-${randomBytes(16).toString('hex')}`;
  let db: TestDatabase;
  let dataDir: string;
  let controller: AppProcess;
  let base = '';
  let agent: RawAgent;
  const sockets: Socket[] = [];

  const api = async <T>(method: string, p: string, body?: unknown, auth = admin) =>
    answerOf<T>(
      await fetch(`${base}${p}`, {
        method,
        headers: { authorization: `Bearer ${auth}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }),
    );

  beforeAll(async () => {
    db = await createTestDatabase('corral_e2e');
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'corral-data-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    controller = new AppProcess('controller', {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      CORRAL_DATA_DIR: dataDir,
      CORRAL_ADMIN_TOKEN: admin,
      CORRAL_LOG_LEVEL: 'warn',
    });
    controller.start();
    await waitFor('controller ready', async () => (await fetch(`${base}/readyz`)).ok, 60_000, 100);
    const token = await api<{ secret: string }>('POST', '/api/v1/enrollment-tokens', {});
    const agentId = randomUUID();
    const enrolled = await answerOf<{ credential: string }>(
      await fetch(`${base}/api/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: token.body.secret, agentId, hostname: 'slow-readers' }),
      }),
    );
    agent = await RawAgent.connect(
      `ws://127.0.0.1:${port}/agent`,
      { authorization: `Bearer ${enrolled.body.credential}` },
      { agentId, hostname: 'slow-readers' },
    );
    agent.send(agent.hello());
    await agent.next('welcome');
    agent.send({
      type: 'snapshot',
      seq: 1,
      facts: sampleFacts,
      containers: [sampleDockerContainer],
      images: [],
      volumes: [],
      networks: [],
      bridges: [],
      leases: [],
    });
    await agent.next('ack');
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    agent?.close();
    await controller?.kill();
    await rm(dataDir, { recursive: true, force: true });
    await db?.drop();
  });

  it(`${CLIENTS} clients that never read leave the RSS within 100 MiB of its start once closed`, async () => {
    const containers = await api<{ items: { id: string }[] }>('GET', '/api/v1/containers');
    const exec = await api<{ id: string }>('POST', `/api/v1/containers/${containers.body.items[0]!.id}/exec`, {
      command: ['yes'],
    });
    const frame = await agent.next('command');
    expect(frame.id).toBe(exec.body.id);
    agent.send({ type: 'command.accepted', id: frame.id });

    // Ten operator tokens of ten streams each (CORRAL_STREAMS_PER_TOKEN is 16).
    const tokens: string[] = [];
    for (let i = 0; i < CLIENTS / 10; i++) {
      tokens.push(
        (await api<{ secret: string }>('POST', '/api/v1/tokens', { name: `reader ${i}`, role: 'operator' })).body
          .secret,
      );
    }
    await new Promise((r) => setTimeout(r, 2_000));
    const start = await rssBytes(controller.pid!);

    for (let i = 0; i < CLIENTS; i++) {
      const socket = connect(Number(new URL(base).port), '127.0.0.1');
      socket.pause();
      socket.write(
        'GET /api/v1/events?kind=command HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
          `Authorization: Bearer ${tokens[i % tokens.length]}\r\nAccept: text/event-stream\r\n\r\n`,
      );
      sockets.push(socket);
    }
    await new Promise((r) => setTimeout(r, 1_000));

    for (let i = 0; i < CHUNKS; i++) {
      agent.send({ type: 'command.output', id: frame.id, stream: 'stdout', chunk: CHUNK });
      if (i % 16 === 15) await new Promise((r) => setTimeout(r, 50));
    }
    // The controller cuts every one of them off, one warning each.
    const behind = () => controller.output.filter((l) => l.includes('fell behind')).length;
    await waitFor(`${CLIENTS} streams cut off`, () => behind() >= CLIENTS, 120_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}: ${behind()} cut off\n${controller.tail()}`);
    });
    // The clients stay connected and still read nothing: closed by the controller, their memory must go.

    let now = await rssBytes(controller.pid!);
    const deadline = Date.now() + 30_000;
    while (now.rss > start.rss + 100 * MiB && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      now = await rssBytes(controller.pid!);
    }
    const mib = (n: number) => Math.round(n / MiB);
    console.log(`controller RSS: start ${mib(start.rss)} MiB, peak ${mib(now.peak)} MiB, after ${mib(now.rss)} MiB`);
    expect(now.rss).toBeLessThanOrEqual(start.rss + 100 * MiB);
    // Frames are shared between clients, so even at its worst the controller stayed small.
    expect(now.peak).toBeLessThanOrEqual(start.rss + 200 * MiB);
    // Still serving.
    expect((await fetch(`${base}/healthz`)).ok).toBe(true);
  });
});
