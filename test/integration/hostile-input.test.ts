import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sampleDockerContainer, sampleFacts } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import type { RawAgent } from '../support/raw-agent.js';

const MiB = 1024 * 1024;

interface ErrorBody {
  error: string;
  message: string;
  field?: string;
}

// Bad bytes, another host's credential, malformed image references and oversized results.
describe('hostile input', () => {
  let ctl: TestController;
  let dataDir: string;
  let agent: RawAgent;
  const agentId = randomUUID();
  let hostId: string;
  let containerId: string;
  let imageId: string;

  const connect = async (id: string, hostname: string) => {
    const a = await ctl.agent({ agentId: id, hostname });
    a.send(a.hello());
    return { agent: a, hostId: (await a.next('welcome')).hostId };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'corral-hostile-'));
    ctl = await startTestController({ CORRAL_DATA_DIR: dataDir });
    ({ agent, hostId } = await connect(agentId, 'hostile-a'));
    agent.send({
      type: 'snapshot',
      seq: 1,
      facts: sampleFacts,
      containers: [sampleDockerContainer],
      images: [{ id: 'sha256:abc', tags: ['busybox:latest'], sizeBytes: 1000, createdAt: null, labels: {} }],
      volumes: [],
      networks: [],
      bridges: [],
      leases: [],
    });
    await agent.next('ack');
    containerId = (await ctl.prisma.container.findFirstOrThrow({ where: { hostId } })).id;
    imageId = (await ctl.prisma.image.findFirstOrThrow({ where: { hostId } })).id;
  });

  afterAll(async () => {
    agent.close();
    await ctl.close();
  });

  describe('NUL and broken characters: 400 naming the field', () => {
    it.each([
      '/api/v1/hosts',
      '/api/v1/containers',
      '/api/v1/images',
      '/api/v1/volumes',
      '/api/v1/networks',
      '/api/v1/bridges',
      '/api/v1/leases',
    ])('%s?name=%00', async (list) => {
      const res = await ctl.get<ErrorBody>(`${list}?name=%00`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'bad_request', field: 'name' });
    });

    it('in other filters and in the path', async () => {
      for (const url of [
        '/api/v1/commands?host=a%00b',
        '/api/v1/audit?actor=%00',
        '/api/v1/containers?label=a%00',
        '/api/v1/placements?group=%00',
      ]) {
        const res = await ctl.get<ErrorBody>(url);
        expect([res.status, res.body.error]).toEqual([400, 'bad_request']);
      }
      expect((await ctl.get<ErrorBody>('/api/v1/ip/%00')).status).toBe(400);
    });

    it('in a JSON body field or key, and an unpaired surrogate too', async () => {
      const url = `/api/v1/hosts/${hostId}/containers`;
      const nul = await ctl.request<ErrorBody>('POST', url, {
        runtime: 'docker',
        image: 'busybox',
        env: { A: 'x\u0000' },
      });
      expect(nul).toMatchObject({ status: 400, body: { field: 'env.A' } });
      const key = await ctl.request<ErrorBody>('POST', url, {
        runtime: 'docker',
        image: 'busybox',
        labels: { 'a\u0000': '1' },
      });
      expect(key).toMatchObject({ status: 400, body: { field: 'labels.a\u0000' } });
      const surrogate = await ctl.request<ErrorBody>(
        'POST',
        url,
        '{"runtime":"docker","image":"busybox","command":["echo","\\ud800"]}',
      );
      expect(surrogate).toMatchObject({ status: 400, body: { field: 'command.1' } });
      expect(await ctl.prisma.command.count()).toBe(0);
    });
  });

  describe('image references are checked against Docker grammar before anything runs', () => {
    it.each([
      ['x:y:z', /name component "x:y"/],
      [':', /repository name cannot be empty/],
      ['Busybox', /must be lowercase/],
      ['busybox:-x', /tag "-x"/],
    ])('%j on create: 400 naming the rule', async (image, rule) => {
      const res = await ctl.request<ErrorBody>('POST', `/api/v1/hosts/${hostId}/containers`, {
        runtime: 'docker',
        image,
      });
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('params.image');
      expect(res.body.message).toMatch(rule);
    });

    it('on placement, tag and import (the tarball is not kept)', async () => {
      const placed = await ctl.request<ErrorBody>('POST', '/api/v1/containers', {
        runtime: 'docker',
        spec: { image: 'x:y:z' },
      });
      expect(placed).toMatchObject({ status: 400, body: { field: 'spec.image' } });
      const tagged = await ctl.request<ErrorBody>('POST', `/api/v1/images/${imageId}/tag`, { reference: 'x:y:z' });
      expect(tagged).toMatchObject({ status: 400, body: { field: 'params.reference' } });
      const imported = await ctl.request<ErrorBody>(
        'POST',
        `/api/v1/hosts/${hostId}/images/import?reference=${encodeURIComponent('x:y:z')}`,
        randomBytes(1000),
        { 'content-type': 'application/x-tar' },
      );
      expect(imported).toMatchObject({ status: 400, body: { field: 'params.reference' } });
      expect(await readdir(dataDir)).not.toContain('uploads');
      expect(await ctl.prisma.command.count()).toBe(0);
    });
  });

  describe('uploads', () => {
    it('go only to the credential of the host their import targets', async () => {
      const other = await connect(randomUUID(), 'hostile-b');
      const created = await ctl.request<{ id: string; params: { uploadId: string } }>(
        'POST',
        `/api/v1/hosts/${hostId}/images/import?reference=corral-test/up:1`,
        randomBytes(4000),
        { 'content-type': 'application/x-tar' },
      );
      expect(created.status).toBe(202);
      const url = `${ctl.baseUrl}/api/v1/uploads/${created.body.params.uploadId}`;
      const otherHeaders = ctl.agentHeaders(String(other.agent.hello().agentId));
      const refused = await fetch(url, { headers: otherHeaders });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as ErrorBody).message).toMatch(/for another host's import/);
      const operator = { authorization: `Bearer ${(await ctl.token('operator')).secret}` };
      expect((await fetch(url, { headers: operator })).status).toBe(403);
      expect((await fetch(url, { headers: ctl.authHeaders })).status).toBe(403);
      const served = await fetch(url, { headers: ctl.agentHeaders(agentId) });
      expect(served.status).toBe(200);
      expect((await served.arrayBuffer()).byteLength).toBe(4000);
      const audit = await ctl.get<{ items: { action: string; outcome: string; actor: string }[] }>(
        '/api/v1/audit?action=uploads',
      );
      expect(audit.body.items.find((e) => e.actor === 'host:hostile-b')).toMatchObject({ outcome: 'denied' });
      other.agent.close();
      await agent.next('command');
    });
  });

  describe('results are stored at their cap, marked as cut', () => {
    const exec = async (body: Record<string, unknown>) => {
      const res = await ctl.request<{ id: string }>('POST', `/api/v1/containers/${containerId}/exec`, body);
      expect(res.status).toBe(202);
      for (;;) {
        const frame = await agent.next('command');
        if (frame.id === res.body.id) return res.body.id;
      }
    };

    it('a 30 MiB exec result is stored at the command own maxOutputBytes', async () => {
      const id = await exec({ command: ['cat', '/dev/zero'], maxOutputBytes: 65536 });
      const big = 'x'.repeat(30 * MiB);
      agent.send({
        type: 'command.result',
        id,
        ok: true,
        result: { exitCode: 0, stdout: big, stderr: 'e', truncated: false },
      });
      const done = await ctl.get<{ status: string; result: { stdout: string; stderr: string; truncated: boolean } }>(
        `/api/v1/commands/${id}?wait=20`,
      );
      expect(done.body.status).toBe('succeeded');
      expect(done.body.result.stdout).toHaveLength(65536);
      expect(done.body.result).toMatchObject({ stderr: 'e', truncated: true });
      const stored = await ctl.prisma.$queryRaw<{ bytes: number }[]>`
        SELECT octet_length(result::text)::int AS bytes FROM "Command" WHERE id = ${id}::uuid`;
      expect(stored[0]!.bytes).toBeLessThan(70_000);
    });

    it('a 30 MiB result of an op without output is cut at CORRAL_MAX_RESULT_BYTES', async () => {
      const res = await ctl.request<{ id: string }>('POST', `/api/v1/containers/${containerId}/start`, {});
      for (;;) {
        const frame = await agent.next('command');
        if (frame.id === res.body.id) break;
      }
      agent.send({ type: 'command.result', id: res.body.id, ok: true, result: { junk: 'y'.repeat(30 * MiB) } });
      const done = await ctl.get<{ status: string; result: Record<string, unknown> }>(
        `/api/v1/commands/${res.body.id}?wait=20`,
      );
      expect(done.body.status).toBe('succeeded');
      expect(done.body.result).toEqual({
        truncated: true,
        message: expect.stringMatching(/larger than CORRAL_MAX_RESULT_BYTES \(16777216\) and was not kept/),
      });
    });
  });
});
