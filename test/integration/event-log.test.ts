import { type ContainerRecord, sampleDockerContainer, sampleLxcContainer } from '@corral/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../apps/controller/src/cluster/event-log.js';
import { EventRetention } from '../../apps/controller/src/cluster/event-retention.js';
import { LeaderLease } from '../../apps/controller/src/cluster/leader-lease.js';
import { SchedulerIndexService } from '../../apps/controller/src/services/scheduler-index.service.js';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';
import type { RawAgent } from '../support/raw-agent.js';
import { SseClient, type SseMessage } from '../support/sse.js';

const docker = (patch: Partial<ContainerRecord>) => ({ ...sampleDockerContainer, ...patch });
const upsert = (kind: string, record: unknown) => ({ op: 'upsert', kind, record });
// Parsed: a replica streams its own events as it published them, and other replicas' as Postgres
// returns them (jsonb orders object keys its own way), so the bytes of `data` may differ.
const frames = (messages: SseMessage[]) => messages.map((m) => [m.id, m.event, JSON.parse(m.data)]);

// Two controller replicas on one database: each stream carries every replica's events, in one
// order, with ids that resume on any replica.
describe('the event log across replicas', () => {
  let a: TestController;
  let b: TestController;
  const opened: SseClient[] = [];
  const agents: RawAgent[] = [];

  beforeAll(async () => {
    a = await startTestController({ CORRAL_REPLICA_ID: 'replica-a' });
    b = await startTestController({ CORRAL_REPLICA_ID: 'replica-b' }, { replicaOf: a });
  });

  afterEach(() => {
    for (const client of opened.splice(0)) client.close();
  });

  afterAll(async () => {
    for (const agent of agents) agent.close();
    await b?.close();
    await a?.close();
  });

  async function stream(ctl: TestController, query = '', headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.open(`${ctl.baseUrl}/api/v1/events${query}`, { ...ctl.authHeaders, ...headers });
    opened.push(client);
    return client;
  }

  // An agent enrolled through `ctl` (either replica enrolls into the one database) and connected to it.
  async function connect(ctl: TestController, hostname: string) {
    const agent = await ctl.agent({ hostname });
    agents.push(agent);
    agent.send(agent.hello({ hostname }));
    const { hostId } = await agent.next('welcome');
    let seq = 0;
    const send = async (frame: { seq: number }) => {
      agent.send(frame);
      expect((await agent.next('ack')).seq).toBe(frame.seq);
    };
    return { agent, hostId, seq: () => ++seq, send };
  }

  const stateDelta = (seq: number, state: string) =>
    ({ type: 'delta', seq, changes: [upsert('container', docker({ state }))] }) as never;

  it('streams on either replica carry the events of both, each once, in the same order', async () => {
    const onA = await stream(a);
    const onB = await stream(b);
    const h1 = await connect(a, 'log-a1');
    const h2 = await connect(a, 'log-a2');
    const h3 = await connect(b, 'log-b1');
    // Interleaved on purpose: the three hosts' frames race through two replicas' writers.
    await Promise.all([
      (async () => {
        await h1.send(snapshotOf(h1.seq(), [sampleDockerContainer, sampleLxcContainer], []));
        for (const state of ['exited', 'running', 'paused', 'running']) await h1.send(stateDelta(h1.seq(), state));
      })(),
      (async () => {
        await h2.send(snapshotOf(h2.seq(), [sampleDockerContainer], []));
        for (const state of ['exited', 'running']) await h2.send(stateDelta(h2.seq(), state));
      })(),
      (async () => {
        await h3.send(snapshotOf(h3.seq(), [sampleDockerContainer], []));
        for (const state of ['exited', 'running', 'exited']) await h3.send(stateDelta(h3.seq(), state));
      })(),
    ]);
    // 3 host-online, 4 container-created, 9 state changes.
    const total = 16;
    await onB.waitFor((c) => c.events().length >= total, 10_000);
    await onA.waitFor((c) => c.events().length >= total, 10_000);
    expect(frames(onB.messages)).toEqual(frames(onA.messages));
    const events = onB.events();
    expect(events).toHaveLength(total);
    expect(new Set(events.map((e) => e.id)).size).toBe(total);
    expect(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id)).toBe(true);
    const typesOf = (hostId: string) => events.filter((e) => e.hostId === hostId).map((e) => e.type);
    expect(typesOf(h1.hostId)).toEqual([
      'host-online',
      'container-created',
      'container-created',
      'container-stopped',
      'container-started',
      'container-paused',
      'container-unpaused',
    ]);
    expect(typesOf(h2.hostId)).toEqual(['host-online', 'container-created', 'container-stopped', 'container-started']);
    expect(typesOf(h3.hostId)).toEqual([
      'host-online',
      'container-created',
      'container-stopped',
      'container-started',
      'container-stopped',
    ]);
    // The batches name the replica that wrote them.
    const writers = await a.prisma.eventBatch.findMany({ select: { replicaId: true }, distinct: ['replicaId'] });
    expect(writers.map((w) => w.replicaId).sort()).toEqual(['replica-a', 'replica-b']);
  });

  it('resumes with Last-Event-ID on the other replica, and on a replica started after the id was issued', async () => {
    const h = await connect(a, 'log-resume');
    const all = await stream(b, `?host=${h.hostId}`);
    const first = await stream(a, `?host=${h.hostId}`);
    await h.send(snapshotOf(h.seq(), [sampleDockerContainer], []));
    await first.waitForType('container-created');
    const seen = first.messages.at(-1)!.id!;
    first.close();
    for (const state of ['exited', 'running', 'exited']) await h.send(stateDelta(h.seq(), state));
    await all.waitForType('container-stopped', 2);
    const missed = frames(all.messages.filter((m) => Number(m.id) > Number(seen)));
    expect(missed.map(([, type]) => type)).toEqual(['container-stopped', 'container-started', 'container-stopped']);

    const onB = await stream(b, `?host=${h.hostId}`, { 'Last-Event-ID': seen });
    await onB.waitForType('container-stopped', 2);
    expect(frames(onB.messages)).toEqual(missed);

    // A third replica started now: ids are durable, so the same id resumes there too.
    const c = await startTestController({ CORRAL_REPLICA_ID: 'replica-c' }, { replicaOf: a });
    try {
      const onC = await stream(c, `?host=${h.hostId}`, { 'Last-Event-ID': seen });
      await onC.waitForType('container-stopped', 2);
      // A live event after the replay follows it, once.
      await h.send(stateDelta(h.seq(), 'running'));
      await onC.waitForType('container-started', 2);
      await all.waitForType('container-started', 2);
      expect(frames(onC.messages)).toEqual(frames(all.messages.filter((m) => Number(m.id) > Number(seen))));
      onC.close();
    } finally {
      await c.close();
    }
  });

  it('tells the scheduler index of one replica about containers another replica ingested', async () => {
    const h = await connect(a, 'log-sched');
    await h.send(snapshotOf(h.seq(), [], []));
    const index = b.app.get(SchedulerIndexService);
    const before = (await index.settled(null)).hosts().find((x) => x.id === h.hostId);
    expect(before?.containers).toBe(0);
    const onB = await stream(b, `?host=${h.hostId}`);
    await h.send({ type: 'delta', seq: h.seq(), changes: [upsert('container', sampleDockerContainer)] } as never);
    await onB.waitForType('container-created');
    const after = (await index.settled(null)).hosts().find((x) => x.id === h.hostId);
    expect(after?.containers).toBe(1);
  });

  it('drops old batches on the replica holding the lease only', async () => {
    const holder = [a, b].find((c) => c.app.get(LeaderLease).holds())!;
    const other = holder === a ? b : a;
    expect(other.app.get(LeaderLease).holds()).toBe(false);
    const h = await connect(other, 'log-retention');
    const live = await stream(other, `?host=${h.hostId}`);
    await h.send(snapshotOf(h.seq(), [sampleDockerContainer], []));
    await live.waitForType('container-created');
    const seen = live.messages.at(-1)!.id!;
    await other.app.get(EventLog).flushed();
    // Both replicas now keep one second of events.
    a.config.eventRetentionS = 1;
    b.config.eventRetentionS = 1;
    await new Promise((r) => setTimeout(r, 1_200));
    const before = await a.prisma.eventBatch.count();
    expect(before).toBeGreaterThan(0);
    expect(await other.app.get(EventRetention).sweep()).toBeNull();
    expect(await a.prisma.eventBatch.count()).toBe(before);
    expect(await holder.app.get(EventRetention).sweep()).toBeGreaterThan(0);
    expect(await a.prisma.eventBatch.count({ where: { at: { lt: new Date(Date.now() - 1_000) } } })).toBe(0);
    // The id's batches are gone: resuming from it resets, on either replica.
    await h.send(stateDelta(h.seq(), 'exited'));
    await live.waitForType('container-stopped');
    const resumed = await stream(other, `?host=${h.hostId}`, { 'Last-Event-ID': seen });
    await resumed.waitForType('reset');
    expect(JSON.parse(resumed.messages[0]!.data).reason).toMatch(/no longer kept/);
  });
});
