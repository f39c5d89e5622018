import {
  type ContainerRecord,
  recordKey,
  sampleDockerContainer,
  sampleLease,
  sampleLxcContainer,
} from '@corral/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../apps/controller/src/cluster/event-log.js';
import { EventRetention } from '../../apps/controller/src/cluster/event-retention.js';
import { EventBus } from '../../apps/controller/src/services/event-bus.js';
import { EventStreamService } from '../../apps/controller/src/services/event-stream.service.js';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';
import type { RawAgent } from '../support/raw-agent.js';
import { SseClient } from '../support/sse.js';

interface Event {
  id: number;
  type: string;
  kind: string;
  hostId: string | null;
  data: Record<string, unknown>;
}

const upsert = (kind: string, record: unknown) => ({ op: 'upsert', kind, record });
const remove = (kind: string, key: string) => ({ op: 'remove', kind, key });
const docker = (patch: Partial<ContainerRecord>) => ({ ...sampleDockerContainer, ...patch });
const dockerKey = recordKey('container', sampleDockerContainer);
const lxcKey = recordKey('container', sampleLxcContainer);
const leaseKey = recordKey('lease', sampleLease);

// The lease hostname is a cheap marker: changing it yields exactly one lease-updated event.
const marker = (hostname: string) => upsert('lease', { ...sampleLease, hostname });

describe('event stream', () => {
  let ctl: TestController;
  let bus: EventBus;
  let log: EventLog;

  beforeAll(async () => {
    ctl = await startTestController({
      CORRAL_OFFLINE_GRACE_MS: '800',
      CORRAL_HEARTBEAT_INTERVAL_MS: '1000',
      // Retention (run by hand below) keeps the newest 2,000 events.
      CORRAL_EVENT_RETENTION_EVENTS: '2000',
    });
    bus = ctl.app.get(EventBus);
    log = ctl.app.get(EventLog);
  });

  afterAll(async () => {
    await ctl?.close();
  });

  const opened: SseClient[] = [];
  afterEach(() => {
    for (const client of opened.splice(0)) client.close();
  });

  async function stream(query = '', headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.open(`${ctl.baseUrl}/api/v1/events${query}`, { ...ctl.authHeaders, ...headers });
    opened.push(client);
    return client;
  }

  async function connect(hostname: string, agentId?: string) {
    const agent = await ctl.agent(agentId ? { hostname, agentId } : { hostname });
    const hello = agent.hello(agentId ? { hostname, agentId } : { hostname });
    agent.send(hello);
    const { hostId } = await agent.next('welcome');
    let seq = 0;
    return { agent, hostId, agentId: hello.agentId as string, seq: () => ++seq };
  }

  async function send(agent: RawAgent, frame: { seq: number }): Promise<void> {
    agent.send(frame);
    expect((await agent.next('ack')).seq).toBe(frame.seq);
  }

  const newerThan = (events: Event[], id: number) => events.filter((e) => e.id > id);

  async function waitStreamsClosed(): Promise<void> {
    const streams = ctl.app.get(EventStreamService);
    const deadline = Date.now() + 5_000;
    while (streams.openStreams() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(streams.openStreams()).toBe(0);
  }

  it('turns snapshots and deltas into one event per real change, after they commit', async () => {
    const sse = await stream();
    const { agent, hostId, agentId, seq } = await connect('events-1');
    await sse.waitForType('host-online');
    expect(sse.events<Event>('host-online')[0]).toMatchObject({
      kind: 'host',
      hostId,
      data: { id: hostId, name: 'events-1', state: 'online', previousState: null },
    });

    await send(agent, snapshotOf(seq(), [sampleDockerContainer, sampleLxcContainer]));
    await sse.waitForType('lease-added');
    const rows = await ctl.prisma.container.findMany({ where: { hostId } });
    const rowId = (key: string) => rows.find((r) => r.key === key)!.id;
    const created = sse
      .events<Event>('container-created')
      .sort((a, b) => String(a.data.key).localeCompare(b.data.key as string));
    expect(created.map((e) => e.data)).toEqual([
      {
        id: rowId(dockerKey),
        key: dockerKey,
        name: 'web-1',
        runtime: 'docker',
        state: 'running',
        previousState: null,
        ip: '172.17.0.2',
      },
      {
        id: rowId(lxcKey),
        key: lxcKey,
        name: 'c1',
        runtime: 'lxc',
        state: 'running',
        previousState: null,
        ip: '10.0.3.55',
      },
    ]);
    const leaseRow = await ctl.prisma.lease.findFirstOrThrow({ where: { hostId } });
    expect(sse.events<Event>('lease-added')[0]!.data).toMatchObject({
      id: leaseRow.id,
      key: leaseKey,
      ip: '10.0.3.55',
      name: 'c1',
      expiresAt: '2026-11-29T08:00:00.000Z',
    });
    let mark = sse.events<Event>().at(-1)!.id;

    // Identical state again (a reconnect) and an ageing status text or memory reading are no news.
    await send(agent, snapshotOf(seq(), [sampleDockerContainer, sampleLxcContainer]));
    await send(agent, {
      type: 'delta',
      seq: seq(),
      changes: [
        upsert('container', docker({ status: 'Up 5 minutes' })),
        upsert('container', { ...sampleLxcContainer, memoryBytes: 5 }),
      ],
    } as never);
    await send(agent, { type: 'delta', seq: seq(), changes: [marker('m1')] } as never);
    await sse.waitForType('lease-updated');
    expect(newerThan(sse.events<Event>(), mark).map((e) => e.type)).toEqual(['lease-updated']);
    mark = sse.events<Event>().at(-1)!.id;

    await send(agent, {
      type: 'delta',
      seq: seq(),
      changes: [upsert('container', docker({ state: 'exited', status: 'Exited (0)', pid: null }))],
    } as never);
    await send(agent, {
      type: 'delta',
      seq: seq(),
      changes: [upsert('container', docker({ state: 'running' }))],
    } as never);
    await send(agent, {
      type: 'delta',
      seq: seq(),
      changes: [upsert('container', docker({ state: 'paused' }))],
    } as never);
    await send(agent, {
      type: 'delta',
      seq: seq(),
      changes: [
        upsert('lease', { ...sampleLease, hostname: 'm1', expiresAt: '2026-11-29T09:00:00.000Z' }),
        remove('container', lxcKey),
        upsert('container', docker({ state: 'paused', labels: { app: 'web', tier: 'front' } })),
      ],
    } as never);
    // A snapshot without the lease and with the container running again.
    await send(agent, snapshotOf(seq(), [docker({ labels: { app: 'web', tier: 'front' } })], []));
    await sse.waitForType('lease-removed');
    const changes = newerThan(sse.events<Event>(), mark);
    expect(changes.map((e) => [e.type, e.data.key, e.data.previousState ?? null, e.data.state ?? null])).toEqual([
      ['container-stopped', dockerKey, 'running', 'exited'],
      ['container-started', dockerKey, 'exited', 'running'],
      ['container-paused', dockerKey, 'running', 'paused'],
      ['lease-renewed', leaseKey, null, null],
      ['container-removed', lxcKey, 'running', null],
      ['container-updated', dockerKey, 'paused', 'paused'],
      ['container-unpaused', dockerKey, 'paused', 'running'],
      ['lease-removed', leaseKey, null, null],
    ]);
    expect(changes.find((e) => e.type === 'lease-renewed')!.data).toMatchObject({
      expiresAt: '2026-11-29T09:00:00.000Z',
      previousExpiresAt: '2026-11-29T08:00:00.000Z',
    });
    expect(changes.find((e) => e.type === 'container-removed')!.data).toMatchObject({ id: rowId(lxcKey), name: 'c1' });
    expect(changes.every((e) => e.hostId === hostId)).toBe(true);
    expect(new Set(changes.map((e) => e.data.id)).size).toBe(3);

    agent.close();
    await sse.waitForType('host-offline', 1, 10_000);
    expect(sse.events<Event>('host-offline')[0]).toMatchObject({
      hostId,
      // The snapshot's facts say h1: the host keeps the name it enrolled with.
      data: { id: hostId, name: 'events-1', state: 'offline', previousState: 'online' },
    });

    // Coming back after being offline is news again.
    const again = await connect('events-1', agentId);
    expect(again.hostId).toBe(hostId);
    await sse.waitForType('host-online', 2);
    expect(sse.events<Event>('host-online')[1]!.data).toMatchObject({ state: 'online', previousState: 'offline' });
    sse.close();
    again.agent.close();
  });

  it('publishes nothing for a write that rolled back', async () => {
    const sse = await stream('?kind=lease,container');
    const { agent, seq } = await connect('events-rollback');
    await send(agent, snapshotOf(seq(), [], []));
    // The lease batch is written first; a trigger then refuses the container and aborts it all.
    await ctl.prisma.$executeRawUnsafe(
      `CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.name = 'boom' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$`,
    );
    await ctl.prisma.$executeRawUnsafe(
      'CREATE TRIGGER refuse_boom BEFORE INSERT OR UPDATE ON "Container" FOR EACH ROW EXECUTE FUNCTION refuse_boom()',
    );
    agent.send({
      type: 'delta',
      seq: seq(),
      changes: [upsert('lease', sampleLease), upsert('container', docker({ name: 'boom' }))],
    });
    const error = await agent.next('error');
    expect(error.retryable).toBe(true);
    const retry = await connect('events-rollback-2');
    await send(retry.agent, { ...snapshotOf(retry.seq(), [], [{ ...sampleLease, hostname: 'm2' }]) } as never);
    await sse.waitForType('lease-added');
    expect(sse.events<Event>().map((e) => [e.type, e.data.name])).toEqual([['lease-added', 'm2']]);
    await ctl.prisma.$executeRawUnsafe('DROP TRIGGER refuse_boom ON "Container"');
    sse.close();
    agent.close();
    retry.agent.close();
  });

  it('filters by host, kind and type', async () => {
    const a = await connect('events-a');
    const b = await connect('events-b');
    const byHost = await stream(`?host=${a.hostId}&kind=container`);
    const byType = await stream('?type=container-stopped,lease-added');
    await send(b.agent, snapshotOf(b.seq(), [sampleDockerContainer]));
    await send(a.agent, snapshotOf(a.seq(), [sampleDockerContainer]));
    await send(b.agent, {
      type: 'delta',
      seq: b.seq(),
      changes: [upsert('container', docker({ state: 'exited' }))],
    } as never);
    await send(a.agent, {
      type: 'delta',
      seq: a.seq(),
      changes: [upsert('container', docker({ state: 'exited' }))],
    } as never);
    await byHost.waitForType('container-stopped');
    await byType.waitForType('container-stopped', 2);
    expect(byHost.events<Event>().map((e) => [e.type, e.hostId])).toEqual([
      ['container-created', a.hostId],
      ['container-stopped', a.hostId],
    ]);
    expect(byType.events<Event>().map((e) => [e.type, e.hostId])).toEqual([
      ['lease-added', b.hostId],
      ['lease-added', a.hostId],
      ['container-stopped', b.hostId],
      ['container-stopped', a.hostId],
    ]);
    byHost.close();
    byType.close();
    a.agent.close();
    b.agent.close();
  });

  it('answers 400 naming the bad parameter', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['?kind=container,bogus', {}, 'kind'],
      ['?type=container-stoped', {}, 'type'],
      ['?host=not-a-uuid', {}, 'host'],
      ['?lastEventId=abc', {}, 'lastEventId'],
      ['?since=5', {}, 'since'],
      ['', { 'Last-Event-ID': 'x1' }, 'Last-Event-ID'],
    ];
    for (const [query, headers, field] of cases) {
      const res = await fetch(`${ctl.baseUrl}/api/v1/events${query}`, { headers: { ...ctl.authHeaders, ...headers } });
      expect(res.status, query).toBe(400);
      expect(await res.json(), query).toMatchObject({ error: 'bad_request', field });
    }
  });

  it('resumes after Last-Event-ID with exactly the missed events, and resets when they are gone', async () => {
    const { agent, hostId, seq } = await connect('events-resume');
    const all = await stream(`?host=${hostId}`);
    const first = await stream(`?host=${hostId}`);
    await send(agent, snapshotOf(seq(), [sampleDockerContainer]));
    await first.waitForType('lease-added');
    const seen = first.messages.at(-1)!.id!;
    first.close();
    await send(agent, {
      type: 'delta',
      seq: seq(),
      changes: [upsert('container', docker({ state: 'exited' }))],
    } as never);
    await send(agent, { type: 'delta', seq: seq(), changes: [remove('container', dockerKey)] } as never);
    await all.waitForType('container-removed');
    const missed = all.messages.filter((m) => Number(m.id) > Number(seen)).map((m) => [m.id, m.event]);
    expect(missed.map(([, type]) => type)).toEqual(['container-stopped', 'container-removed']);

    const byHeader = await stream(`?host=${hostId}`, { 'Last-Event-ID': seen });
    const byQuery = await stream(`?host=${hostId}&lastEventId=${seen}`);
    await byHeader.waitForType('container-removed');
    await byQuery.waitForType('container-removed');
    expect(byHeader.messages.map((m) => [m.id, m.event])).toEqual(missed);
    expect(byQuery.messages.map((m) => [m.id, m.event])).toEqual(missed);

    // Ids are durable (batch id and place): an id from the log reads the same on any replica.
    expect(missed.every(([id]) => Number(id) > Number(seen))).toBe(true);
    expect(
      await ctl.prisma.eventBatch.count({ where: { id: { gte: BigInt(Math.floor(Number(seen) / 1e6)) } } }),
    ).toBeGreaterThan(0);

    // An id whose batches retention dropped: a reset first, carrying the id to resume from, then live events only.
    for (let i = 0; i < 2500; i++) {
      bus.publish({ type: 'command-succeeded', kind: 'command', hostId: null, data: { id: String(i) } });
      // Five batches of 500.
      if (i % 500 === 499) await log.flushed();
    }
    await log.caughtUp();
    const lastFiller = log.latestEventId();
    expect(await ctl.app.get(EventRetention).sweep()).toBeGreaterThan(0);
    const kept = await ctl.prisma.eventBatch.aggregate({ _sum: { count: true }, _min: { id: true } });
    expect(kept._sum.count).toBeLessThanOrEqual(2000);
    expect(kept._sum.count).toBeGreaterThanOrEqual(1500);
    expect(Number(kept._min.id)).toBeGreaterThan(Math.floor(Number(seen) / 1e6));
    const reset = await stream(`?host=${hostId}`, { 'Last-Event-ID': seen });
    await reset.waitForType('reset');
    expect(reset.messages).toHaveLength(1);
    // Other hosts of this suite may publish (host-offline) meanwhile: resumeFrom is the newest id at that moment.
    const body = JSON.parse(reset.messages[0]!.data) as { lastEventId: number; resumeFrom: number; reason: string };
    expect(body.lastEventId).toBe(Number(seen));
    expect(body.reason).toMatch(/no longer kept/);
    expect(body.resumeFrom).toBeGreaterThanOrEqual(lastFiller);
    expect(body.resumeFrom).toBeLessThanOrEqual(log.latestEventId());
    expect(reset.messages[0]!.id).toBe(String(body.resumeFrom));
    // An id newer than anything written (a clock-based id of a controller before the log) resets too.
    const ancient = await stream('', { 'Last-Event-ID': String(Date.now() * 1000) });
    await ancient.waitForType('reset');
    expect(JSON.parse(ancient.messages[0]!.data).reason).toMatch(/newer than any event written/);
    await send(agent, { type: 'delta', seq: seq(), changes: [upsert('container', sampleDockerContainer)] } as never);
    await reset.waitForType('container-created');
    expect(reset.messages.map((m) => m.event)).toEqual(['reset', 'container-created']);

    for (const s of [all, byHeader, byQuery, reset, ancient]) s.close();
    agent.close();
  });

  it('resets streams reading past events a replica had to drop (its marker in the log)', async () => {
    const live = await stream('?kind=lease');
    const { agent, seq } = await connect('events-lost');
    // What a replica writes after the database was away for long: a marker of the events it dropped.
    await ctl.prisma.eventBatch.create({
      data: {
        replicaId: 'replica-x',
        count: 1,
        events: [
          {
            type: 'events-lost',
            kind: 'host',
            hostId: null,
            at: new Date().toISOString(),
            data: { lost: 7, replicaId: 'replica-x' },
          },
        ],
      },
    });
    await live.waitForType('reset');
    const notice = JSON.parse(live.messages[0]!.data) as { reason: string; resumeFrom: number };
    expect(notice.reason).toMatch(/replica replica-x could not write 7 events/);
    expect(live.messages[0]!.id).toBe(String(notice.resumeFrom));
    // Then the stream carries on with what follows, and never shows the marker as an event.
    await send(agent, snapshotOf(seq(), []));
    await live.waitForType('lease-added');
    expect(live.messages.map((m) => m.event)).toEqual(['reset', 'lease-added']);
    agent.close();
  });

  it('sends heartbeat comments and lets go of every listener when clients disconnect', async () => {
    await waitStreamsClosed();
    const before = log.subscriberCount();
    const streams = ctl.app.get(EventStreamService);
    streams.heartbeatMs = 100;
    const clients = await Promise.all([stream(), stream('?kind=host'), stream('?type=host-online')]);
    expect(log.subscriberCount()).toBe(before + 3);
    await clients[0]!.waitFor((c) => c.comments.includes('heartbeat'));
    for (const c of clients) c.close();
    await waitStreamsClosed();
    expect(log.subscriberCount()).toBe(before);
    streams.heartbeatMs = 15_000;
  });

  it('is documented in OpenAPI as an event stream with its parameters', async () => {
    const res = await ctl.get<{
      paths: Record<string, { get: { parameters: { name: string; in: string }[]; responses: Record<string, object> } }>;
    }>('/api/docs-json');
    const route = res.body.paths['/api/v1/events']!.get;
    expect(route.parameters.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
      'header:Last-Event-ID',
      'query:host',
      'query:kind',
      'query:lastEventId',
      'query:type',
    ]);
    expect(JSON.stringify(route.responses['200'])).toContain('text/event-stream');
    expect(JSON.stringify(route.responses['200'])).toContain('#/components/schemas/Event');
    expect(JSON.stringify(route.responses['400'])).toContain('#/components/schemas/Error');
  });
});
