import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sampleFacts } from '@corral/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderLease } from '../../apps/controller/src/cluster/leader-lease.js';
import { INTERNAL_PLACEMENTS_PATH } from '../../apps/controller/src/cluster/placement-router.js';
import type { PlacementDto } from '../../apps/controller/src/dtos/placement.dto.js';
import { SchedulerIndexService } from '../../apps/controller/src/services/scheduler-index.service.js';
import { startTestController, type TestController } from '../support/controller.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type ReplicaProcess, startReplicaProcess } from '../support/processes.js';
import type { RawAgent } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';

const GiB = 1024 ** 3;

interface Reply {
  placement: PlacementDto;
  error?: string;
  field?: string;
  message?: string;
  reasons?: string[];
}

const oneGiB = (name: string, extra: Record<string, unknown> = {}) => ({
  runtime: 'docker',
  spec: { image: 'busybox:latest', name },
  resources: { memoryBytes: GiB },
  ...extra,
});

// corral_placements_total of a replica's /metrics, by its label text.
async function placementCounts(ctl: TestController): Promise<Record<string, number>> {
  const text = await (await fetch(`${ctl.baseUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^corral_placements_total\{([^}]*)\} (\d+)$/gm)) counts[m[1]!] = Number(m[2]);
  return counts;
}

// Placements asked of several replicas at once are decided by one of them (the lease holder), so a
// host's last capacity is taken once, whichever replica each request reached.
describe('placements across replicas', () => {
  let a: TestController;
  let b: TestController;
  let aRunning = true;
  const agents: RawAgent[] = [];
  const hostIds: string[] = [];

  beforeAll(async () => {
    a = await startTestController({ CORRAL_REPLICA_ID: 'place-a' });
    b = await startTestController({ CORRAL_REPLICA_ID: 'place-b' }, { replicaOf: a });
    // The agents are B's: A stops later on, and its hosts must stay online.
    for (const name of ['q1', 'q2', 'q3']) {
      const agent = await b.agent({ hostname: name });
      agent.send(agent.hello({ hostname: name }));
      const welcome = await agent.next('welcome');
      agent.send(agent.snapshot({ facts: { ...sampleFacts, hostname: name, memoryTotalBytes: GiB, cpuCount: 4 } }));
      await agent.next('ack');
      agents.push(agent);
      hostIds.push(welcome.hostId);
    }
  });

  afterAll(async () => {
    for (const agent of agents) agent.close();
    await b?.close();
    if (aRunning) await a?.close();
    await a?.db.drop();
  });

  it('twenty requests of 1 GiB split over two replicas against 3 GiB free: exactly three placed', async () => {
    expect(a.app.get(LeaderLease).holds()).toBe(true);
    expect(b.app.get(LeaderLease).holds()).toBe(false);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).request<Reply>('POST', '/api/v1/containers', oneGiB(`split-${i}`)),
      ),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 202, 202, ...Array(17).fill(409)]);
    const placedOn = replies.filter((r) => r.status === 202).map((r) => r.body.placement.hostIds[0]);
    expect(new Set(placedOn)).toEqual(new Set(hostIds));
    // Both replicas' requests were placed and refused alike: the reasons are the holder's.
    for (const r of replies.filter((x) => x.status === 409)) {
      expect(r.body.reasons).toEqual([
        'q1: 0 B free < 1 GiB requested',
        'q2: 0 B free < 1 GiB requested',
        'q3: 0 B free < 1 GiB requested',
      ]);
    }
    expect(await a.prisma.command.count({ where: { op: 'container.create' } })).toBe(3);
    // B never loaded a scheduling index of its own.
    expect(a.app.get(SchedulerIndexService).loads).toBe(1);
    expect(b.app.get(SchedulerIndexService).loads).toBe(0);

    // Who asked is kept whichever replica the request reached, and each request has one audit entry.
    const placements = await a.prisma.placement.findMany();
    expect(placements).toHaveLength(20);
    expect(placements.every((p) => /^token:.+ \(.+\)$/.test(p.requestedBy ?? ''))).toBe(true);
    const commands = await a.prisma.command.findMany({ where: { op: 'container.create' } });
    expect(commands.every((c) => c.requestedBy === placements[0]!.requestedBy)).toBe(true);
    const audit = await a.prisma.auditEntry.findMany({ where: { action: { contains: 'placements' } } });
    expect(audit).toEqual([]);
    const entries = await a.prisma.auditEntry.findMany({ where: { action: 'POST /api/v1/containers' } });
    expect(entries.map((e) => e.statusCode).sort()).toEqual(statuses);
    expect(new Set(entries.map((e) => e.actorId))).toEqual(new Set([entries[0]!.actorId]));
    expect(entries[0]!.actorId).not.toBeNull();

    // Each replica counts the requests it answered, by where they were decided.
    const [onA, onB] = [await placementCounts(a), await placementCounts(b)];
    expect(Object.keys(onA).every((k) => k.endsWith('decided="here"'))).toBe(true);
    expect(Object.keys(onB).every((k) => k.endsWith('decided="holder"'))).toBe(true);
    const sum = (c: Record<string, number>, outcome: string) =>
      Object.entries(c).reduce((n, [k, v]) => n + (k.startsWith(`outcome="${outcome}"`) ? v : 0), 0);
    expect(sum(onA, 'placed') + sum(onA, 'rejected')).toBe(10);
    expect(sum(onB, 'placed') + sum(onB, 'rejected')).toBe(10);
    expect(sum(onA, 'placed') + sum(onB, 'placed')).toBe(3);
  });

  it("answers the deciding replica's refusal as it gave it, audited once on the replica asked", async () => {
    const reply = await b.request<Reply>('POST', '/api/v1/containers', oneGiB('nowhere', { hosts: ['no-such-host'] }));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'bad_request', field: 'hosts' });
    expect(reply.body.message).toContain('no-such-host');
    const entries = await a.prisma.auditEntry.findMany({ where: { statusCode: 400 } });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'POST /api/v1/containers', outcome: 'failed' });
  });

  it('refuses the internal route without the replica secret', async () => {
    const reply = await a.request<Reply>('POST', INTERNAL_PLACEMENTS_PATH, { body: oneGiB('sneak') });
    expect(reply.status).toBe(401);
    expect(await a.prisma.placement.count({ where: { request: { path: ['spec', 'name'], equals: 'sneak' } } })).toBe(0);
  });

  it('hands the decisions to the next holder when the holder stops, counting what it placed', async () => {
    await a.close({ keepDatabase: true });
    aRunning = false;
    // Asked at once: B waits for the lease (taken within about a second) and decides.
    const started = Date.now();
    const full = await b.request<Reply>('POST', '/api/v1/containers', oneGiB('after-a'));
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(full.status).toBe(409);
    expect(full.body.reasons).toEqual([
      'q1: 0 B free < 1 GiB requested',
      'q2: 0 B free < 1 GiB requested',
      'q3: 0 B free < 1 GiB requested',
    ]);
    expect(b.app.get(LeaderLease).holds()).toBe(true);

    // A replica that joins now passes its placements to B; a create ending frees its host.
    const c = await startTestController({ CORRAL_REPLICA_ID: 'place-c' }, { replicaOf: b });
    try {
      const created = await b.prisma.command.findFirstOrThrow({ where: { op: 'container.create' } });
      const agent = agents[hostIds.indexOf(created.hostId)]!;
      agent.send({ type: 'command.accepted', id: created.id });
      agent.send({
        type: 'command.result',
        id: created.id,
        ok: false,
        error: { code: 'engine_error', message: 'no space', retryable: false },
      });
      await waitFor('the create failed', async () => {
        const row = await b.prisma.command.findUniqueOrThrow({ where: { id: created.id } });
        return row.status === 'failed';
      });
      const again = await waitFor(
        'a placement through C takes the freed host',
        async () => {
          const r = await c.request<Reply>('POST', '/api/v1/containers', oneGiB(`via-c-${Date.now()}`));
          return r.status === 202 ? r : undefined;
        },
        15_000,
        200,
      );
      expect(again.body.placement.hostIds).toEqual([created.hostId]);
      expect(c.app.get(SchedulerIndexService).loads).toBe(0);
    } finally {
      await c.close();
    }
  });
});

// The same across processes: a SIGKILL of the holder (its lease connection closed by the kernel,
// its Replica row still fresh for seconds) and a placement asked of the other at once.
describe('placements when the deciding replica is killed', () => {
  const admin = `corral-it-admin-${randomBytes(16).toString('hex')}`;
  let db: TestDatabase;
  let scratch = '';
  const replicas: ReplicaProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('corral_place_kill');
    scratch = await mkdtemp(path.join(os.tmpdir(), 'corral-place-kill-'));
    // One after the other: the first takes the lease and applies the migrations.
    replicas.push(await startReplicaProcess(db.url, scratch, admin, { CORRAL_REPLICA_ID: 'kill-a' }));
    replicas.push(await startReplicaProcess(db.url, scratch, admin, { CORRAL_REPLICA_ID: 'kill-b' }));
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.process.kill();
    await db?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const query = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  };
  const holder = async () => {
    const rows = await query<{ value: string }>(`SELECT value FROM "ClusterSetting" WHERE key = 'lease:sweepers'`);
    return rows[0] ? (JSON.parse(rows[0].value) as { replicaId: string }).replicaId : null;
  };
  const placements = async () => Number((await query<{ n: string }>(`SELECT count(*) AS n FROM "Placement"`))[0]!.n);

  it('is decided by the survivor within the handover, and answered by the replica asked', async () => {
    const [a, b] = replicas as [ReplicaProcess, ReplicaProcess];
    expect(await holder()).toBe('kill-a');
    // No host at all: a decision (409, nothing fits) made by the holder for a request to B.
    const before = await b.client.request<{ error: string }>('POST', '/api/v1/containers', oneGiB('before-kill'));
    expect(before.status).toBe(409);
    expect(await placements()).toBe(1);

    await a.process.kill('SIGKILL');
    const started = Date.now();
    const after = await b.client.request<{ error: string; message: string }>(
      'POST',
      '/api/v1/containers',
      oneGiB('after-kill'),
    );
    expect(after.status, JSON.stringify(after.body)).toBe(409);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(await holder()).toBe('kill-b');
    expect(await placements()).toBe(2);
  });

  it('answers 503 with nothing placed while no replica can take the lease, and decides once one does', async () => {
    await replicas[1]!.process.kill('SIGKILL');
    // The lock taken by someone who is no replica: the row still names kill-b, whose session is gone.
    const squatter = new pg.Client({ connectionString: db.url });
    await squatter.connect();
    try {
      await waitFor('the lock taken from outside', async () => {
        const { rows } = await squatter.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(72707370, 1) AS ok');
        return rows[0]!.ok;
      });
      const c = await startReplicaProcess(db.url, scratch, admin, { CORRAL_REPLICA_ID: 'kill-c' });
      replicas.push(c);
      const refused = await c.client.request<{ error: string; message: string }>(
        'POST',
        '/api/v1/containers',
        oneGiB('nobody-decides'),
      );
      expect(refused.status).toBe(503);
      expect(refused.body.error).toBe('unavailable');
      expect(refused.body.message).toContain('nothing was placed');
      expect(await placements()).toBe(2);
    } finally {
      await squatter.end();
    }
    // The lock freed, C takes it within a second or so and decides.
    const decided = await replicas[2]!.client.request('POST', '/api/v1/containers', oneGiB('c-decides'));
    expect(decided.status).toBe(409);
    expect(await holder()).toBe('kill-c');
    expect(await placements()).toBe(3);
  });
});
