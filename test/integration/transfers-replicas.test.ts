import { createHash, randomBytes } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sampleFacts } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import type { RawAgent } from '../support/raw-agent.js';

const MiB = 1024 * 1024;
const IMAGE_ID = `sha256:${'cd'.repeat(32)}`;

// `bytes` of pseudo-random data, made as read, and the SHA-256 of what it made.
function archive(bytes: number): { stream: Readable; digest: () => string } {
  let left = bytes;
  const hash = createHash('sha256');
  const stream = new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const block = randomBytes(Math.min(left, 64 * 1024));
      left -= block.length;
      hash.update(block);
      this.push(block);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

async function digestOf(res: http.IncomingMessage): Promise<{ bytes: number; digest: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res) {
    bytes += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { bytes, digest: hash.digest('hex') };
}

// Two replicas on one database; the agents are connected to B, the API calls go to A, which holds
// the upload's file and the transfer's reader: B passes the agents' GET and PUT of
// /api/v1/uploads/{id} on to A.
describe('uploads and image transfers across controller replicas', () => {
  let a: TestController;
  let b: TestController;
  const dirs: string[] = [];
  const agents: { agent: RawAgent; credential: string; hostId: string; hostname: string }[] = [];

  // An agent's HTTP call, with its own credential, to B.
  const agentRequest = (
    credential: string,
    method: string,
    p: string,
    body?: Readable,
    headers: Record<string, string> = {},
  ) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${b.baseUrl}${p}`, {
        method,
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/x-tar', ...headers },
      });
      req.once('response', resolve);
      req.once('error', reject);
      if (body) body.pipe(req);
      else req.end();
    });

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) dirs.push(await mkdtemp(path.join(os.tmpdir(), 'corral-replica-')));
    a = await startTestController({ CORRAL_REPLICA_ID: 'replica-a', CORRAL_DATA_DIR: dirs[0]! });
    b = await startTestController({ CORRAL_REPLICA_ID: 'replica-b', CORRAL_DATA_DIR: dirs[1]! }, { replicaOf: a });
    for (const hostname of [`src-${Date.now()}`, `dst-${Date.now()}`]) {
      const identity = await b.enroll({ hostname });
      const agent = await b.agent({ agentId: identity.agentId });
      agent.send(agent.hello());
      const welcome = await agent.next('welcome');
      agent.send({
        type: 'snapshot',
        seq: 1,
        facts: sampleFacts,
        containers: [],
        images: hostname.startsWith('src')
          ? [{ id: IMAGE_ID, tags: ['relayed:1'], repoDigests: [], sizeBytes: 64 * MiB, createdAt: null, labels: {} }]
          : [],
        volumes: [],
        networks: [],
        bridges: [],
        leases: [],
      });
      await agent.next('ack');
      agents.push({ agent, credential: identity.credential, hostId: welcome.hostId, hostname });
    }
    for (let i = 0; i < 50; i++) {
      const rows = await a.prisma.replica.findMany({ where: { url: { not: '' } } });
      if (rows.length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    for (const { agent } of agents) agent.close();
    await b?.close();
    await a?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('serves an upload kept by A to an agent on B, and B alone answers a request passed on already', async () => {
    const dst = agents[1]!;
    const body = randomBytes(3 * MiB + 17);
    const res = await fetch(`${a.baseUrl}/api/v1/hosts/${dst.hostId}/images/load`, {
      method: 'POST',
      headers: { ...a.authHeaders, 'content-type': 'application/x-tar' },
      body,
    });
    expect(res.status).toBe(202);
    const load = await dst.agent.next('command', 10_000);
    expect(load.op).toBe('image.load');
    dst.agent.send({ type: 'command.accepted', id: load.id });
    const uploadId = (load.params as { uploadId: string }).uploadId;

    const got = await agentRequest(dst.credential, 'GET', `/api/v1/uploads/${uploadId}`);
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-length']).toBe(String(body.length));
    expect(await digestOf(got)).toEqual({
      bytes: body.length,
      digest: createHash('sha256').update(body).digest('hex'),
    });

    // Marked as passed on by a replica: B answers from what it holds itself, never passes it again.
    const looped = await agentRequest(dst.credential, 'GET', `/api/v1/uploads/${uploadId}`, undefined, {
      'x-corral-forwarded-by': 'replica-a',
    });
    expect(looped.statusCode).toBe(404);
    looped.resume();
    // Another host's agent is refused (by B, from the shared database) before anything is passed on.
    const other = await agentRequest(agents[0]!.credential, 'GET', `/api/v1/uploads/${uploadId}`);
    expect(other.statusCode).toBe(403);
    other.resume();
    // The command ends on B; A, which keeps the file, hears of it and removes the file and its row.
    expect(await exists(path.join(dirs[0]!, 'uploads', `${uploadId}.tar`))).toBe(true);
    dst.agent.send({ type: 'command.result', id: load.id, ok: true, result: { images: [], bytes: 0 }, error: null });
    for (let i = 0; i < 50 && (await exists(path.join(dirs[0]!, 'uploads', `${uploadId}.tar`))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await exists(path.join(dirs[0]!, 'uploads', `${uploadId}.tar`))).toBe(false);
    expect(await a.prisma.clusterSetting.findUnique({ where: { key: `holder:${uploadId}` } })).toBeNull();
  });

  it("copies an image between two agents on B whose transfer A holds: both the agents' GET and PUT pass through B", async () => {
    const [src, dst] = agents as [(typeof agents)[0], (typeof agents)[0]];
    const image = (await a.get<{ items: { id: string }[] }>('/api/v1/images?name=relayed')).body.items[0]!;
    const copy = await a.request('POST', `/api/v1/images/${image.id}/copy`, { toHosts: [dst.hostname] });
    expect(copy.status, JSON.stringify(copy.body)).toBe(202);
    const load = await dst.agent.next('command', 10_000);
    expect(load.op).toBe('image.copy');
    dst.agent.send({ type: 'command.accepted', id: load.id });
    const uploadId = (load.params as { uploadId: string }).uploadId;

    const reading = agentRequest(dst.credential, 'GET', `/api/v1/uploads/${uploadId}`);
    const save = await src.agent.next('command', 10_000);
    expect(save).toMatchObject({ op: 'image.save', params: { transferId: uploadId } });
    src.agent.send({ type: 'command.accepted', id: save.id });
    // Another host's agent may not send the archive, through B either.
    const wrong = await agentRequest(dst.credential, 'PUT', `/api/v1/uploads/${uploadId}`, archive(10).stream);
    expect(wrong.statusCode).toBe(403);
    wrong.resume();

    const bytes = 48 * MiB;
    const data = archive(bytes);
    const at = Date.now();
    const sending = agentRequest(src.credential, 'PUT', `/api/v1/uploads/${uploadId}`, data.stream);
    const res = await reading;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-tar');
    const received = await digestOf(res);
    const sent = await sending;
    expect(sent.statusCode).toBe(204);
    sent.resume();
    console.log(`48 MiB through B -> A -> B: ${((bytes / MiB / (Date.now() - at)) * 1000).toFixed(0)} MiB/s`);
    expect(received).toEqual({ bytes, digest: data.digest() });
    // The holder row goes with the transfer.
    const holder = () => a.prisma.clusterSetting.findUnique({ where: { key: `holder:${uploadId}` } });
    for (let i = 0; i < 20 && (await holder()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await holder()).toBeNull();
  });
});
