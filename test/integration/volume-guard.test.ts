import { sampleDockerContainer, sampleFacts } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import type { RawAgent } from '../support/raw-agent.js';

const BOTH = [
  { name: 'docker' as const, available: true, version: '27.0', reason: null },
  { name: 'lxc' as const, available: true, version: '5.0.2', reason: null },
];

interface Answer {
  error?: string;
  message?: string;
  field?: string;
  volumeUse?: { volume: string; family: string; containers: string[]; lastUsedAt: string };
  status?: string;
}

// The volume guard: a volume keeps the image family that used it last; another family's create is
// refused (409) unless forced, on the host route and in placement alike.
describe('the volume guard', () => {
  let ctl: TestController;
  let operator: Record<string, string>;
  let agent: RawAgent;
  let hostId: string;

  // pgdata was made outside Corral; the first container seen using it (postgres:16) gives its history.
  const pg = {
    ...sampleDockerContainer,
    id: 'a'.repeat(64),
    name: 'pg1',
    image: 'postgres:16',
    imageId: `sha256:${'b'.repeat(64)}`,
    state: 'exited' as const,
    mounts: [{ type: 'volume', name: 'pgdata', source: null, destination: '/var/lib/postgresql', readOnly: false }],
  };
  const volume = { name: 'pgdata', driver: 'local', mountpoint: null, labels: {}, createdAt: null, usedBy: ['pg1'] };

  const create = (body: Record<string, unknown>) =>
    ctl.request<Answer>('POST', `/api/v1/hosts/${hostId}/containers`, body, operator);
  const mounting = (image: string, extra: Record<string, unknown> = {}) => ({
    runtime: 'docker',
    image,
    mounts: [{ source: 'pgdata', target: '/data' }],
    ...extra,
  });

  beforeAll(async () => {
    ctl = await startTestController();
    operator = { authorization: `Bearer ${(await ctl.token('operator')).secret}` };
    agent = await ctl.agent({ hostname: 'vg1' });
    agent.send(agent.hello({ hostname: 'vg1', runtimes: BOTH }));
    hostId = (await agent.next('welcome')).hostId;
    agent.send({
      type: 'snapshot',
      seq: 1,
      facts: { ...sampleFacts, hostname: 'vg1', runtimes: BOTH },
      containers: [pg],
      images: [],
      volumes: [volume],
      networks: [],
      bridges: [],
      leases: [],
    });
    await agent.next('ack');
  });

  afterAll(async () => {
    agent?.close();
    await ctl?.close();
  });

  it('shows the history on the volume record, from its first seen user', async () => {
    const list = await ctl.get<{ items: { id: string; name: string }[] }>('/api/v1/volumes?name=pgdata');
    const res = await ctl.get<{ history: { family: string; repository: string; containers: string[] }[] }>(
      `/api/v1/volumes/${list.body.items[0]!.id}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.history).toEqual([
      expect.objectContaining({ family: 'postgres', repository: 'postgres', imageId: pg.imageId, containers: ['pg1'] }),
    ]);
  });

  it('refuses a create from another family with 409 naming the family, the containers and the last use', async () => {
    const res = await create(mounting('mysql:8'));
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('volume_family');
    expect(res.body.message).toContain('image family postgres');
    expect(res.body.message).toContain('pg1');
    expect(res.body.volumeUse).toMatchObject({ volume: 'pgdata', family: 'postgres', containers: ['pg1'] });
    expect(Date.parse(res.body.volumeUse!.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
    const audit = await ctl.get<{ items: { action: string; outcome: string; statusCode: number }[] }>(
      '/api/v1/audit?action=volume guard',
    );
    expect(audit.body.items[0]).toMatchObject({ action: 'volume guard container.create', outcome: 'denied' });
  });

  it('refuses it in placement too, with the guard as the host reason', async () => {
    const res = await ctl.request<{ reasons: string[] }>(
      'POST',
      '/api/v1/containers',
      { runtime: 'docker', spec: { image: 'mysql:8', mounts: [{ source: 'pgdata', target: '/data' }] } },
      operator,
    );
    expect(res.status).toBe(409);
    expect(res.body.reasons.join('\n')).toContain('volume guard: volume pgdata was last used by image family postgres');
  });

  it('lets the same family mount it (another tag is the same family)', async () => {
    const res = await create(mounting('postgres:17'));
    expect(res.status).toBe(202);
    expect((await agent.next('command')).op).toBe('container.create');
  });

  it('passes with force: true, and audits it', async () => {
    const res = await create(mounting('mysql:8', { force: true }));
    expect(res.status).toBe(202);
    expect((await agent.next('command')).op).toBe('container.create');
    const audit = await ctl.get<{ items: { action: string; outcome: string; detail: Record<string, unknown> }[] }>(
      '/api/v1/audit?action=volume guard',
    );
    expect(audit.body.items[0]).toMatchObject({
      action: 'volume guard container.create',
      outcome: 'forced',
      detail: { family: 'mysql', volumes: [expect.objectContaining({ volume: 'pgdata', family: 'postgres' })] },
    });
  });

  it('follows the family seen last: once mysql uses it, postgres is the other family', async () => {
    const my = { ...pg, id: 'c'.repeat(64), name: 'my1', image: 'mysql:8', imageId: `sha256:${'d'.repeat(64)}` };
    await new Promise((r) => setTimeout(r, 5));
    agent.send({ type: 'delta', seq: 2, changes: [{ op: 'upsert', kind: 'container', record: my }] });
    await agent.next('ack');
    const res = await create(mounting('postgres:16'));
    expect(res.status).toBe(409);
    expect(res.body.volumeUse).toMatchObject({ family: 'mysql', containers: ['my1'] });
    // A label names the family where the repository does not fit.
    const labelled = await create(mounting('mariadb:11', { labels: { 'corral.volume.family': 'mysql' } }));
    expect(labelled.status).toBe(202);
  });
});
