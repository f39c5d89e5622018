import type { ContainerRecord, RuntimeStatus } from '@corral/protocol';
import { sampleDockerContainer, sampleFacts } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandDto } from '../../apps/controller/src/dtos/command.dto.js';
import type { HostDto } from '../../apps/controller/src/dtos/host.dto.js';
import type { PlacementDto, PlacementSummaryDto } from '../../apps/controller/src/dtos/placement.dto.js';
import { SchedulerIndexService } from '../../apps/controller/src/services/scheduler-index.service.js';
import { startTestController, type TestController } from '../support/controller.js';
import type { RawAgent } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const BOTH: RuntimeStatus[] = [
  { name: 'docker', available: true, version: '20.10.24', reason: null },
  { name: 'lxc', available: true, version: '5.0.2', reason: null },
];
const DOCKER_ONLY: RuntimeStatus[] = [
  { name: 'docker', available: true, version: '20.10.24', reason: null },
  { name: 'lxc', available: false, version: null, reason: 'lxc-ls not found' },
];

interface Reply<T = unknown> {
  status: number;
  body: T;
}
interface PlacementReply {
  placement: PlacementDto;
}
interface Rejection extends PlacementReply {
  error: string;
  message: string;
  reasons: string[];
}

interface HostOptions {
  memory?: number;
  cpus?: number;
  runtimes?: RuntimeStatus[];
  labels?: Record<string, string>;
  containers?: ContainerRecord[];
  // false: hello only, so the host has no facts.
  snapshot?: boolean;
}

interface ScriptedHost {
  name: string;
  id: string;
  agent: RawAgent;
  seq: number;
}

// A controller with scripted agents whose facts (memory, CPUs, runtimes, labels) each test chooses.
class Cluster {
  ctl!: TestController;
  readonly hosts = new Map<string, ScriptedHost>();

  async start(env: Record<string, string> = {}) {
    this.ctl = await startTestController({ CORRAL_OFFLINE_GRACE_MS: '300', ...env });
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    return this.ctl.request<T>(method, path, body);
  }

  place<T = PlacementReply>(body: Record<string, unknown>, query = '') {
    return this.request<T>('POST', `/api/v1/containers${query}`, body);
  }

  async add(name: string, o: HostOptions = {}): Promise<ScriptedHost> {
    const runtimes = o.runtimes ?? BOTH;
    const agent = await this.ctl.agent({ hostname: name });
    agent.send(agent.hello({ hostname: name, runtimes, labels: o.labels ?? {} }));
    const welcome = await agent.next('welcome');
    const host = { name, id: welcome.hostId, agent, seq: 0 };
    this.hosts.set(name, host);
    if (o.snapshot !== false) {
      host.seq = 1;
      agent.send({
        type: 'snapshot',
        seq: 1,
        facts: {
          ...sampleFacts,
          hostname: name,
          memoryTotalBytes: o.memory ?? 4 * GiB,
          cpuCount: o.cpus ?? 4,
          runtimes,
        },
        containers: o.containers ?? [],
        images: [],
        volumes: [],
        networks: [],
        bridges: [],
        leases: [],
      });
      await agent.next('ack');
    }
    return host;
  }

  host(name: string): ScriptedHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no scripted host ${name}`);
    return h;
  }

  id(name: string): string {
    return this.host(name).id;
  }

  async offline(name: string) {
    const h = this.host(name);
    h.agent.close();
    await h.agent.waitClosed();
    await waitFor(`${name} offline`, async () => {
      const res = await this.request<HostDto>('GET', `/api/v1/hosts/${h.id}`);
      return res.body.status === 'offline';
    });
  }

  // Plays the agent: accept, show the container in the inventory, then report success.
  async complete(name: string, command: CommandDto, container: ContainerRecord) {
    const h = this.host(name);
    h.agent.send({ type: 'command.accepted', id: command.id });
    h.seq += 1;
    h.agent.send({ type: 'delta', seq: h.seq, changes: [{ op: 'upsert', kind: 'container', record: container }] });
    await h.agent.next('ack');
    h.agent.send({
      type: 'command.result',
      id: command.id,
      ok: true,
      result: { id: container.id, name: container.name },
      error: null,
    });
    await waitFor('command succeeded', async () => {
      const res = await this.request<CommandDto>('GET', `/api/v1/commands/${command.id}`);
      return res.body.status === 'succeeded';
    });
  }

  async removeContainer(name: string, container: ContainerRecord) {
    const h = this.host(name);
    h.seq += 1;
    h.agent.send({
      type: 'delta',
      seq: h.seq,
      changes: [{ op: 'remove', kind: 'container', key: `docker:${container.id}` }],
    });
    await h.agent.next('ack');
  }

  async close() {
    for (const h of this.hosts.values()) h.agent.close();
    await this.ctl?.close();
  }
}

const dockerSpec = (name?: string) => ({ image: 'busybox:latest', ...(name ? { name } : {}) });

const docker = (id: string, name: string, labels: Record<string, string> = {}): ContainerRecord => ({
  ...sampleDockerContainer,
  id: id.padEnd(64, '0'),
  name,
  labels,
});

describe('placement: every filter says why, in a 409', () => {
  const c = new Cluster();

  beforeAll(async () => {
    await c.start();
    await c.add('h1', { memory: 4 * GiB, labels: { zone: 'eu' } });
    await c.add('h2', { memory: 512 * MiB, labels: { zone: 'eu' } });
    await c.add('h3', { labels: { zone: 'eu' } });
    await c.add('h4', { runtimes: DOCKER_ONLY, labels: { zone: 'eu' } });
    await c.add('h5', { labels: { zone: 'eu' } });
    await c.add('h6', { labels: { zone: 'us' } });
    await c.add('h7', { labels: { zone: 'eu' }, containers: [docker('a7', 'web-old', { 'corral.group': 'web' })] });
    await c.add('h8', { cpus: 1, labels: { zone: 'eu' } });
    await c.add('h9', { snapshot: false, labels: { zone: 'eu' } });
    await c.offline('h3');
    expect((await c.request('POST', `/api/v1/hosts/${c.id('h5')}/cordon`, { reason: 'disk swap' })).status).toBe(200);
    await c.offline('h1');
  });

  afterAll(() => c.close());

  const request = {
    runtime: 'lxc',
    spec: { name: 'web' },
    resources: { memoryBytes: GiB, cpus: 2 },
    constraints: [{ label: 'zone', op: '=', value: 'eu' }],
    group: 'web',
  };

  it('answers 409 with one reason per host and stores the rejected decision', async () => {
    const before = await c.ctl.prisma.command.count();
    const res = await c.place<Rejection>(request);
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('conflict');
    expect(res.body.reasons).toEqual([
      'h1: offline',
      'h2: 512 MiB free < 1 GiB requested',
      'h3: offline',
      'h4: no lxc (lxc-ls not found)',
      'h5: cordoned (disk swap)',
      'h6: label zone=eu required, has zone=us',
      'h7: already runs a container of group web',
      'h8: 1 CPU free < 2 requested',
      'h9: no host facts reported yet',
    ]);
    expect(res.body.message).toContain('fits no host (9 considered)');
    expect(res.body.placement).toMatchObject({ outcome: 'rejected', hostIds: [], commandIds: [], commands: [] });
    expect(await c.ctl.prisma.command.count()).toBe(before);
    const stored = await c.request<PlacementDto>('GET', `/api/v1/placements/${res.body.placement.id}`);
    expect(stored.status).toBe(200);
    expect(stored.body.explanation.reasons).toEqual(res.body.reasons);
    expect(stored.body.explanation.decisions[0]!.rejectedHosts).toEqual({
      online: 2,
      memory: 1,
      runtime: 1,
      cordon: 1,
      labels: 1,
      'anti-affinity': 1,
      cpu: 1,
      facts: 1,
    });
  });

  it('matches agent labels overlaid with API labels, and shows all three on the host', async () => {
    const h6 = c.id('h6');
    const put = await c.request<HostDto>('PUT', `/api/v1/hosts/${h6}/labels`, { labels: { zone: 'eu', rack: 'r1' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      labels: { zone: 'eu', rack: 'r1' },
      agentLabels: { zone: 'us' },
      effectiveLabels: { zone: 'eu', rack: 'r1' },
      cordoned: false,
    });
    const dry = await c.place(request, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body.placement).toMatchObject({ outcome: 'dry_run', dryRun: true, hostIds: [h6], commands: [] });
    expect(dry.body.placement.explanation.summary).toBe('would place 1 of 1: web on h6 (score 0.75)');
    const bad = await c.request<{ field: string }>('PUT', `/api/v1/hosts/${h6}/labels`, { labels: { 'zone=': 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toMatch(/^labels/);
  });

  it('never chooses a cordoned host, and does again once uncordoned', async () => {
    const h6 = c.id('h6');
    const cordoned = await c.request<HostDto>('POST', `/api/v1/hosts/${h6}/cordon`, { reason: 'maintenance' });
    expect(cordoned.body).toMatchObject({ cordoned: true, cordonReason: 'maintenance' });
    expect(cordoned.body.cordonedAt).not.toBeNull();
    const refused = await c.place<Rejection>(request, '?dryRun=true');
    expect(refused.body.placement.explanation.reasons).toContain('h6: cordoned (maintenance)');
    const back = await c.request<HostDto>('POST', `/api/v1/hosts/${h6}/uncordon`);
    expect(back.body).toMatchObject({ cordoned: false, cordonedAt: null, cordonReason: null });
    const placed = await c.place(request);
    expect(placed.status).toBe(202);
    expect(placed.body.placement).toMatchObject({ outcome: 'placed', hostIds: [h6] });
    const [command] = placed.body.placement.commands;
    expect(command).toMatchObject({
      op: 'container.create',
      hostId: h6,
      params: { runtime: 'lxc', name: 'web', memoryBytes: GiB, cpus: 2 },
    });
    const frame = await c.host('h6').agent.next('command');
    expect(frame.id).toBe(command!.id);
  });

  it('refuses malformed requests with 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ runtime: 'docker', spec: { image: 'x', bogus: 1 } }, 'spec.bogus'],
      [{ runtime: 'docker', spec: {} }, 'spec.image'],
      [{ runtime: 'docker', spec: dockerSpec(), hosts: ['nope'] }, 'hosts'],
      [{ runtime: 'docker', spec: { ...dockerSpec(), labels: { 'corral.group': 'x' } } }, 'spec.labels.corral.group'],
      [
        { runtime: 'docker', spec: { ...dockerSpec(), memoryBytes: GiB }, resources: { memoryBytes: 2 * GiB } },
        'spec.memoryBytes',
      ],
      [
        { runtime: 'docker', spec: dockerSpec(), constraints: [{ label: 'zone', op: '~', value: 'x' }] },
        'constraints.0.op',
      ],
      [{ runtime: 'docker', spec: dockerSpec(), replicas: 0 }, 'replicas'],
      [{ runtime: 'lxc', spec: { name: 'x'.repeat(127) }, replicas: 2 }, 'spec.name'],
    ];
    for (const [body, field] of cases) {
      const res = await c.place<{ field: string; message: string }>(body);
      expect({ field: res.body.field, status: res.status }, JSON.stringify(body)).toEqual({ field, status: 400 });
    }
  });
});

describe('placement: spread, binpack, replicas, groups, all or nothing, capacity, drain', () => {
  const c = new Cluster();
  let web: PlacementDto;

  beforeAll(async () => {
    await c.start();
    await c.add('a', { memory: 4 * GiB });
    await c.add('b', { memory: 8 * GiB });
    await c.add('c', { memory: 2 * GiB });
  });

  afterAll(() => c.close());

  const memoryOf = async (host: string) => {
    const dry = await c.place({ runtime: 'docker', spec: dockerSpec(), hosts: [host] }, '?dryRun=true');
    return dry.body.placement.explanation.hosts.find((h) => h.hostname === host)!.memory;
  };

  it('spread prefers the most free memory fraction, binpack the least that still fits, with scores', async () => {
    const body = { runtime: 'docker', spec: dockerSpec(), resources: { memoryBytes: GiB } };
    const spread = await c.place(body, '?dryRun=true');
    expect(spread.body.placement.hostIds).toEqual([c.id('b')]);
    expect(spread.body.placement.explanation.decisions[0]!.candidates.map((x) => [x.hostname, x.score])).toEqual([
      ['b', 0.875],
      ['a', 0.75],
      ['c', 0.5],
    ]);
    const binpack = await c.place({ ...body, strategy: 'binpack' }, '?dryRun=true');
    expect(binpack.body.placement.hostIds).toEqual([c.id('c')]);
    expect(binpack.body.placement.explanation.decisions[0]!.score).toBe(0.5);
  });

  it('places replicas one per host for a group, with names, labels and commands', async () => {
    const res = await c.place({
      runtime: 'docker',
      spec: dockerSpec('web'),
      resources: { memoryBytes: GiB },
      group: 'web',
      replicas: 3,
    });
    expect(res.status).toBe(202);
    web = res.body.placement;
    expect(web.outcome).toBe('placed');
    expect(new Set(web.hostIds)).toEqual(new Set([c.id('a'), c.id('b'), c.id('c')]));
    expect(web.commands.map((x) => x.params.name)).toEqual(['web-1', 'web-2', 'web-3']);
    for (const command of web.commands) {
      expect(command.params.labels).toEqual({ 'corral.group': 'web', 'corral.placement': web.id });
      expect(command.params.memoryBytes).toBe(GiB);
    }
    // Anti-affinity also counts containers still being created.
    const again = await c.place<Rejection>({ runtime: 'docker', spec: dockerSpec(), group: 'web' });
    expect(again.status).toBe(409);
    expect(again.body.reasons).toEqual([
      'a: already runs a container of group web',
      'b: already runs a container of group web',
      'c: already runs a container of group web',
    ]);
  });

  it('all or nothing places none when one replica cannot go anywhere; otherwise what fits', async () => {
    const body = { runtime: 'docker', spec: dockerSpec('db'), group: 'db', replicas: 4 };
    const before = await c.ctl.prisma.command.count();
    const none = await c.place<Rejection>({ ...body, allOrNothing: true });
    expect(none.status).toBe(409);
    expect(none.body.placement.commands).toEqual([]);
    expect(none.body.reasons).toHaveLength(3);
    expect(none.body.reasons[0]).toBe('a: already gets a container of group db from this placement');
    expect(await c.ctl.prisma.command.count()).toBe(before);

    const some = await c.place(body);
    expect(some.status).toBe(202);
    expect(some.body.placement.outcome).toBe('partial');
    expect(some.body.placement.commands).toHaveLength(3);
    expect(some.body.placement.explanation.summary).toMatch(/^placed 3 of 4: db-1 on .*; replica 4 fits no host/);
    expect(some.body.placement.explanation.reasons).toHaveLength(3);
  });

  it('counts open creates and live containers Corral made, and forgets removed ones', async () => {
    // c (2 GiB) holds web's open 1 GiB create and a db create without limits.
    expect(await memoryOf('c')).toEqual({ allocatableBytes: 2 * GiB, usedBytes: GiB, freeBytes: GiB });
    const onC = web.commands.find((x) => x.hostId === c.id('c'))!;
    const container = docker('c0ffee', 'web-on-c', { 'corral.group': 'web', 'corral.placement': web.id });
    await c.complete('c', onC, container);
    expect((await memoryOf('c')).usedBytes).toBe(GiB);
    const full = await c.place<Rejection>({
      runtime: 'docker',
      spec: dockerSpec(),
      resources: { memoryBytes: 1.5 * GiB },
      hosts: ['c'],
    });
    expect(full.body.reasons).toEqual(['c: 1 GiB free < 1.5 GiB requested']);

    const drain = await c.request<{ host: HostDto; containers: unknown[] }>('POST', `/api/v1/hosts/${c.id('c')}/drain`);
    expect(drain.status).toBe(200);
    expect(drain.body.host).toMatchObject({ cordoned: true, cordonReason: 'draining' });
    expect(drain.body.containers).toEqual([
      {
        id: expect.any(String),
        name: 'web-on-c',
        runtime: 'docker',
        state: 'running',
        group: 'web',
        placementId: web.id,
      },
    ]);
    await c.request('POST', `/api/v1/hosts/${c.id('c')}/uncordon`);

    await c.removeContainer('c', container);
    expect((await memoryOf('c')).usedBytes).toBe(0);
  });

  it('lists stored decisions newest first, in keyset pages', async () => {
    const seen: PlacementSummaryDto[] = [];
    let cursor: string | null = null;
    do {
      const page: Reply<{ items: PlacementSummaryDto[]; nextCursor: string | null }> = await c.request(
        'GET',
        `/api/v1/placements?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const stored = await c.ctl.prisma.placement.count();
    expect(seen).toHaveLength(stored);
    expect(new Set(seen.map((p) => p.id)).size).toBe(stored);
    const times = seen.map((p) => Date.parse(p.createdAt));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    const webItem = seen.find((p) => p.id === web.id)!;
    expect(webItem).toMatchObject({ outcome: 'placed', group: 'web', commandIds: web.commandIds });
    expect(webItem.summary).toMatch(/^placed 3 of 3: web-1 on /);
    const groups = await c.request<{ items: PlacementSummaryDto[] }>(
      'GET',
      '/api/v1/placements?group=db&outcome=partial',
    );
    expect(groups.body.items).toHaveLength(1);
    expect((await c.request('GET', '/api/v1/placements?outcome=nope')).status).toBe(400);
  });
});

describe('placement under concurrency', () => {
  const c = new Cluster();

  beforeAll(async () => {
    await c.start();
    for (const name of ['p1', 'p2', 'p3']) await c.add(name, { memory: GiB });
  });

  afterAll(() => c.close());

  it('ten requests of 1 GiB at once against 3 GiB free in all: exactly three placed, one per host', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        c.place({ runtime: 'docker', spec: dockerSpec(`burst-${i}`), resources: { memoryBytes: GiB } }),
      ),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 202, 202, 409, 409, 409, 409, 409, 409, 409]);
    const hosts = replies.filter((r) => r.status === 202).map((r) => r.body.placement.hostIds[0]);
    expect(new Set(hosts)).toEqual(new Set([c.id('p1'), c.id('p2'), c.id('p3')]));
    for (const r of replies.filter((x) => x.status === 409)) {
      expect((r.body as unknown as Rejection).reasons).toEqual([
        'p1: 0 B free < 1 GiB requested',
        'p2: 0 B free < 1 GiB requested',
        'p3: 0 B free < 1 GiB requested',
      ]);
    }
    expect(await c.ctl.prisma.command.count({ where: { op: 'container.create' } })).toBe(3);
    // Each request has one audit entry with the status it answered (written with its placement's rows).
    const audit = await c.ctl.prisma.auditEntry.findMany({ where: { action: 'POST /api/v1/containers' } });
    expect(audit.map((e) => e.statusCode).sort()).toEqual(statuses);
    expect(audit.map((e) => e.outcome).sort()).toEqual([...Array(7).fill('failed'), ...Array(3).fill('ok')]);
    expect(new Set(audit.map((e) => e.targetKind))).toEqual(new Set(['container']));
    expect(await c.ctl.prisma.placement.count()).toBe(10);
  });

  it('audits a request the placement refuses as malformed through the interceptor, once', async () => {
    const bad = await c.place({ runtime: 'docker', spec: dockerSpec('bad'), replicas: 0 });
    expect(bad.status).toBe(400);
    const audit = await c.ctl.prisma.auditEntry.findMany({ where: { statusCode: 400 } });
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([['POST /api/v1/containers', 'failed']]);
  });
});

describe('placement under concurrency, on the index kept between requests', () => {
  const c = new Cluster();
  const names = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6'];

  beforeAll(async () => {
    await c.start();
    for (const name of names) await c.add(name, { memory: 2 * GiB, cpus: 2 });
  });

  afterAll(() => c.close());

  // Memory of the open creates per host, from the command rows.
  const reservedByHost = async () => {
    const rows = await c.ctl.prisma.command.findMany({
      where: { op: 'container.create', status: { in: ['pending', 'sent', 'running'] } },
    });
    const byHost = new Map<string, number>();
    for (const r of rows) {
      const memory = ((r.params as { memoryBytes?: number }).memoryBytes ?? 0) as number;
      byHost.set(r.hostId, (byHost.get(r.hostId) ?? 0) + memory);
    }
    return byHost;
  };

  it('forty requests of two 1 GiB replicas at once against 12 GiB: exactly twelve replicas, no host past 2 GiB', async () => {
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        c.place({
          runtime: 'docker',
          spec: dockerSpec(`pair-${i}`),
          resources: { memoryBytes: GiB },
          replicas: 2,
        }),
      ),
    );
    const placed = replies.flatMap((r) => (r.status === 202 ? r.body.placement.hostIds : []));
    expect(placed).toHaveLength(12);
    expect(replies.filter((r) => r.status === 409).length + replies.filter((r) => r.status === 202).length).toBe(40);
    const reserved = await reservedByHost();
    expect([...reserved.values()].sort()).toEqual(names.map(() => 2 * GiB));
    expect(await c.ctl.prisma.command.count({ where: { op: 'container.create' } })).toBe(12);
  });

  it('frees a reservation whose create failed, and counts a create made on a named host, before the next decision', async () => {
    const open = await c.ctl.prisma.command.findMany({
      where: { op: 'container.create', hostId: c.id('q1'), status: { in: ['pending', 'sent'] } },
    });
    expect(open).toHaveLength(2);
    // q1's agent answers one of its creates with a failure: that GiB is free again.
    const failed = open[0]!;
    const q1 = c.host('q1');
    q1.agent.send({ type: 'command.accepted', id: failed.id });
    q1.agent.send({
      type: 'command.result',
      id: failed.id,
      ok: false,
      error: { code: 'engine_error', message: 'no such image', retryable: false },
    });
    await waitFor('create failed', async () => {
      const res = await c.request<CommandDto>('GET', `/api/v1/commands/${failed.id}`);
      return res.body.status === 'failed';
    });
    const next = await c.place({
      runtime: 'docker',
      spec: dockerSpec('after-failure'),
      resources: { memoryBytes: GiB },
    });
    expect(next.status).toBe(202);
    expect(next.body.placement.hostIds).toEqual([c.id('q1')]);

    // Full again; a create sent to q2 directly after q2's GiB is freed the same way takes it.
    const onQ2 = await c.ctl.prisma.command.findFirstOrThrow({
      where: { op: 'container.create', hostId: c.id('q2'), status: { in: ['pending', 'sent'] } },
    });
    c.host('q2').agent.send({
      type: 'command.result',
      id: onQ2.id,
      ok: false,
      error: { code: 'engine_error', message: 'no such image', retryable: false },
    });
    await waitFor('q2 create failed', async () => {
      const res = await c.request<CommandDto>('GET', `/api/v1/commands/${onQ2.id}`);
      return res.body.status === 'failed';
    });
    const direct = await c.request<CommandDto>('POST', `/api/v1/hosts/${c.id('q2')}/containers`, {
      runtime: 'docker',
      image: 'busybox:latest',
      memoryBytes: GiB,
    });
    expect(direct.status).toBe(202);
    const none = await c.place<Rejection>({ runtime: 'docker', spec: dockerSpec(), resources: { memoryBytes: GiB } });
    expect(none.status).toBe(409);
    expect(none.body.reasons).toEqual(names.map((n) => `${n}: 0 B free < 1 GiB requested`));
  });

  it('follows labels, cordon and a host going offline, the index loaded once for all these placements', async () => {
    const body = { runtime: 'docker', spec: dockerSpec(), constraints: [{ label: 'tier', op: '=', value: 'gold' }] };
    expect((await c.place(body, '?dryRun=true')).status).toBe(409);
    await c.request('PUT', `/api/v1/hosts/${c.id('q3')}/labels`, { labels: { tier: 'gold' } });
    const gold = await c.place(body, '?dryRun=true');
    expect(gold.status).toBe(200);
    expect(gold.body.placement.hostIds).toEqual([c.id('q3')]);
    await c.request('POST', `/api/v1/hosts/${c.id('q3')}/cordon`, { reason: 'disk swap' });
    const cordoned = await c.place<Rejection>(body, '?dryRun=true');
    expect(cordoned.body.reasons).toContain('q3: cordoned (disk swap)');
    await c.request('POST', `/api/v1/hosts/${c.id('q3')}/uncordon`);
    await c.offline('q3');
    const offline = await c.place<Rejection>(body, '?dryRun=true');
    expect(offline.body.reasons).toContain('q3: offline');
    const index = c.ctl.app.get(SchedulerIndexService);
    expect(index.loads).toBe(1);
    // Hosts were read again one change at a time.
    expect(index.reads).toBeGreaterThan(5);
  });
});
