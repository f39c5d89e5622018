import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sampleFacts } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { answerOf } from '../support/http.js';
import { AppProcess, freePort } from '../support/processes.js';
import { RawAgent } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;
const IMAGE_ID = `sha256:${'ab'.repeat(32)}`;

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

// `bytes` of pseudo-random data, made as read (never all in memory).
function archive(bytes: number): Readable {
  let left = bytes;
  const block = randomBytes(64 * 1024);
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, block.length);
      left -= n;
      this.push(block.subarray(0, n));
    },
  });
}

// The built controller between two agents spoken by hand: an image archive goes from one agent's
// PUT to the other's GET through the controller, which holds none of it (no engines needed).
describe('image archives relayed through the controller', () => {
  const admin = `corral-it-admin-${randomBytes(16).toString('hex')}`;
  let db: TestDatabase;
  let dataDir: string;
  let controller: AppProcess;
  let base = '';
  const agents: { agent: RawAgent; credential: string; hostId: string; hostname: string }[] = [];

  const api = async <T>(method: string, p: string, body?: unknown) =>
    answerOf<T>(
      await fetch(`${base}${p}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }),
    );

  // An agent's HTTP call to the controller with its own credential (streamed both ways).
  const agentRequest = (credential: string, method: string, p: string, body?: Readable) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${base}${p}`, {
        method,
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/x-tar' },
      });
      req.once('response', resolve);
      req.once('error', reject);
      if (body) body.pipe(req);
      else req.end();
    });

  beforeAll(async () => {
    db = await createTestDatabase('corral_transfer');
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
    for (const hostname of ['src-host', 'dst-host']) {
      const token = await api<{ secret: string }>('POST', '/api/v1/enrollment-tokens', {});
      const agentId = randomUUID();
      const enrolled = await answerOf<{ credential: string; hostId: string }>(
        await fetch(`${base}/api/v1/enroll`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: token.body.secret, agentId, hostname }),
        }),
      );
      const agent = await RawAgent.connect(
        `ws://127.0.0.1:${port}/agent`,
        { authorization: `Bearer ${enrolled.body.credential}` },
        { agentId, hostname },
      );
      agent.send(agent.hello());
      const welcome = await agent.next('welcome');
      agent.send({
        type: 'snapshot',
        seq: 1,
        facts: sampleFacts,
        containers: [],
        images:
          hostname === 'src-host'
            ? [{ id: IMAGE_ID, tags: ['big:1'], repoDigests: [], sizeBytes: 300 * MiB, createdAt: null, labels: {} }]
            : [],
        volumes: [],
        networks: [],
        bridges: [],
        leases: [],
      });
      await agent.next('ack');
      agents.push({ agent, credential: enrolled.body.credential, hostId: welcome.hostId, hostname });
    }
  });

  afterAll(async () => {
    for (const { agent } of agents) agent.close();
    await controller?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await db?.drop();
  });

  it('copies 256 MiB from one agent to another with the controller RSS growing less than 64 MiB', async () => {
    const [src, dst] = agents as [(typeof agents)[0], (typeof agents)[0]];
    const image = (await api<{ items: { id: string }[] }>('GET', '/api/v1/images?name=big')).body.items[0]!;
    const copy = await api<{ copies: { hostname: string; command: { id: string } }[] }>(
      'POST',
      `/api/v1/images/${image.id}/copy`,
      { toHosts: ['dst-host'] },
    );
    expect(copy.status).toBe(202);
    expect(copy.body.copies.map((c) => c.hostname)).toEqual(['dst-host']);

    const load = await dst.agent.next('command');
    expect(load.op).toBe('image.copy');
    expect(load.params).toMatchObject({ fromHostId: src.hostId, fromImage: IMAGE_ID, sizeBytes: 300 * MiB });
    dst.agent.send({ type: 'command.accepted', id: load.id });
    const uploadId = (load.params as { uploadId: string }).uploadId;

    await new Promise((r) => setTimeout(r, 1000));
    const pid = controller.pid!;
    const before = await rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => {
      rssBytes(pid).then(
        (rss) => {
          peak = Math.max(peak, rss);
        },
        () => undefined,
      );
    }, 50);
    try {
      // The destination asks first; only then does the source get its save.
      const reading = agentRequest(dst.credential, 'GET', `/api/v1/uploads/${uploadId}`);
      const save = await src.agent.next('command', 10_000);
      expect(save).toMatchObject({ op: 'image.save', target: { kind: 'image', id: IMAGE_ID } });
      src.agent.send({ type: 'command.accepted', id: save.id });
      const transferId = (save.params as { transferId: string }).transferId;
      expect(transferId).toBe(uploadId);

      // Another host's agent may not send the archive.
      const wrong = await agentRequest(dst.credential, 'PUT', `/api/v1/uploads/${transferId}`, archive(10));
      expect(wrong.statusCode).toBe(403);
      wrong.resume();

      const bytes = 256 * MiB;
      const sending = agentRequest(src.credential, 'PUT', `/api/v1/uploads/${transferId}`, archive(bytes));
      const res = await reading;
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-tar');
      // A slow reader: the controller must not buffer what it does not take.
      let received = 0;
      for await (const chunk of res) {
        received += (chunk as Buffer).length;
        if (received % (32 * MiB) < (chunk as Buffer).length) await new Promise((r) => setTimeout(r, 100));
      }
      expect(received).toBe(bytes);
      const sent = await sending;
      expect(sent.statusCode).toBe(204);
      sent.resume();
      src.agent.send({ type: 'command.result', id: save.id, ok: true, result: { id: IMAGE_ID, bytes }, error: null });
    } finally {
      clearInterval(sampler);
    }
    console.log(`relay of 256 MiB: controller RSS ${(before / MiB).toFixed(0)} -> peak ${(peak / MiB).toFixed(0)} MiB`);
    expect(peak - before).toBeLessThan(64 * MiB);

    // The destination's result records the origin: copied from the source host.
    dst.agent.send({
      type: 'command.result',
      id: load.id,
      ok: true,
      result: { id: IMAGE_ID, tags: ['big:1'], images: [IMAGE_ID], bytes: 256 * MiB },
      error: null,
    });
    dst.agent.send({
      type: 'delta',
      seq: 2,
      changes: [
        {
          op: 'upsert',
          kind: 'image',
          record: { id: IMAGE_ID, tags: ['big:1'], repoDigests: [], sizeBytes: 300 * MiB, createdAt: null, labels: {} },
        },
      ],
    });
    await dst.agent.next('ack');
    const done = await api<{ status: string }>('GET', `/api/v1/commands/${load.id}?wait=10`);
    expect(done.body.status).toBe('succeeded');
    const copied = await waitFor(
      'the copy with its origin',
      async () =>
        (
          await api<{ items: { hostname: string; origin: Record<string, unknown> }[] }>(
            'GET',
            '/api/v1/images?origin=copied',
          )
        ).body.items[0],
      10_000,
      100,
    );
    expect(copied).toMatchObject({
      hostname: 'dst-host',
      origin: { kind: 'copied', fromHostId: src.hostId, fromHostname: 'src-host', fromImage: IMAGE_ID },
    });
    const unknown = (await api<{ items: { hostname: string }[] }>('GET', '/api/v1/images?origin=unknown')).body.items;
    expect(unknown.map((i) => i.hostname)).toEqual(['src-host']);
  });

  it('answers a save whose host fails with the reason, and refuses copies to the same host', async () => {
    const [src] = agents as [(typeof agents)[0]];
    const image = (await api<{ items: { id: string }[] }>('GET', `/api/v1/images?host=src-host`)).body.items[0]!;
    const same = await api<{ message: string }>('POST', `/api/v1/images/${image.id}/copy`, { toHosts: ['src-host'] });
    expect(same.status).toBe(422);
    const missing = await api<{ field: string }>('POST', `/api/v1/images/${image.id}/copy`, { toHosts: ['nope'] });
    expect(missing.status).toBe(404);
    const empty = await api<{ field: string }>('POST', `/api/v1/images/${image.id}/copy`, { toHosts: [] });
    expect(empty.status).toBe(400);

    const saving = fetch(`${base}/api/v1/images/${image.id}/save`, { headers: { authorization: `Bearer ${admin}` } });
    const save = await src.agent.next('command', 10_000);
    expect(save.op).toBe('image.save');
    src.agent.send({
      type: 'command.result',
      id: save.id,
      ok: false,
      result: null,
      error: { code: 'not_found', message: 'No such image: sha256:abab', retryable: false },
    });
    const res = await saving;
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toContain('No such image');
    // An image leaving the fleet is audited, GET though it is.
    const audit = await waitFor(
      'the save in the audit log',
      async () =>
        (
          await api<{ items: { action: string; statusCode: number; actor: string }[] }>(
            'GET',
            `/api/v1/audit?targetId=${image.id}`,
          )
        ).body.items.find((e) => e.action.includes('image.save')),
      5_000,
      100,
    );
    expect(audit).toMatchObject({ statusCode: 404 });
  });
});
