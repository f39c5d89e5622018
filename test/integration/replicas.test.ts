import { recordKey, sampleDockerContainer } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL, type Channel, ClusterChannel } from '../../apps/controller/src/cluster/cluster-channel.js';
import { LeaderLease } from '../../apps/controller/src/cluster/leader-lease.js';
import type { CommandDto } from '../../apps/controller/src/dtos/command.dto.js';
import { startTestController, type TestController } from '../support/controller.js';
import type { RawAgent } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';

// Two controller replicas on one database, each in this process with its own replica id.
describe('controller replicas on one database', () => {
  let a: TestController;
  let b: TestController;

  beforeAll(async () => {
    a = await startTestController({ CORRAL_REPLICA_ID: 'replica-a' });
    b = await startTestController({ CORRAL_REPLICA_ID: 'replica-b' }, { replicaOf: a });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await a?.db.drop();
  });

  const connectWithContainer = async (
    on: TestController,
    hostname: string,
  ): Promise<{ agent: RawAgent; hostId: string }> => {
    const agent = await on.agent({ hostname });
    agent.send(agent.hello());
    const welcome = await agent.next('welcome');
    agent.send(agent.snapshot({ containers: [sampleDockerContainer] }));
    await agent.next('ack');
    return { agent, hostId: welcome.hostId };
  };

  it('runs the sweepers on exactly one replica, and hands them over when it stops', async () => {
    // A started first and took the lease; B tries every second and finds it held.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(a.app.get(LeaderLease).holds()).toBe(true);
    expect(b.app.get(LeaderLease).holds()).toBe(false);
    const rows = await a.prisma.replica.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.id)).toEqual(['replica-a', 'replica-b']);
    expect(rows.every((r) => /^http:\/\/127\.0\.0\.1:\d+$/.test(r.url))).toBe(true);

    const c = await startTestController({ CORRAL_REPLICA_ID: 'replica-c' }, { replicaOf: a });
    try {
      const cLease = c.app.get(LeaderLease);
      expect(cLease.holds()).toBe(false);
      const started = Date.now();
      await a.close({ keepDatabase: true });
      // The lease is B's or C's within a couple of retries, and never both.
      await waitFor(
        'another replica holds the lease',
        async () => b.app.get(LeaderLease).holds() || cLease.holds(),
        5_000,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(b.app.get(LeaderLease).holds() && cLease.holds()).toBe(false);
      // The stopped replica took its row with it.
      expect((await b.prisma.replica.findMany()).map((r) => r.id).sort()).toEqual(['replica-b', 'replica-c']);
    } finally {
      await c.close();
      a = await startTestController({ CORRAL_REPLICA_ID: 'replica-a2' }, { replicaOf: b });
    }
  });

  it('sends a command made on one replica through the replica holding the agent, and ?wait answers where it was asked', async () => {
    const { agent, hostId } = await connectWithContainer(b, 'held-by-b');
    const host = await a.prisma.host.findUniqueOrThrow({ where: { id: hostId } });
    expect(host.replicaId).toBe('replica-b');
    const container = await a.prisma.container.findFirstOrThrow({ where: { hostId } });

    const asked = a.request<CommandDto>('POST', `/api/v1/containers/${container.id}/stop?wait=10`, {
      timeoutSeconds: 1,
    });
    const frame = await agent.next('command');
    expect(frame.op).toBe('container.stop');
    agent.send({ type: 'command.accepted', id: frame.id });
    agent.send({ type: 'command.result', id: frame.id, ok: true, result: { state: 'exited' } });
    const reply = await asked;
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ id: frame.id, status: 'succeeded', result: { state: 'exited' } });
    // Sent once: no second frame for it reaches the agent.
    await new Promise((r) => setTimeout(r, 300));
    expect(agent.received.filter((m) => m.type === 'command' && m.id === frame.id)).toHaveLength(0);

    // A cancel asked on A for a command B's agent holds reaches the agent through B.
    const second = await a.request<CommandDto>('POST', `/api/v1/containers/${container.id}/stop`, {
      timeoutSeconds: 1,
    });
    const held = await agent.next('command');
    expect(held.id).toBe(second.body.id);
    agent.send({ type: 'command.accepted', id: held.id });
    await waitFor(
      'running',
      async () => (await a.prisma.command.findUniqueOrThrow({ where: { id: held.id } })).status === 'running',
    );
    expect((await a.request('POST', `/api/v1/commands/${held.id}/cancel`)).status).toBe(202);
    const cancel = await agent.next('command.cancel');
    expect(cancel.id).toBe(held.id);
    agent.send({
      type: 'command.result',
      id: held.id,
      ok: false,
      error: { code: 'canceled', message: 'canceled', retryable: false },
    });
    await waitFor(
      'canceled',
      async () => (await a.prisma.command.findUniqueOrThrow({ where: { id: held.id } })).status === 'canceled',
    );
    agent.close();
  });

  it('sends a command whose frame does not fit in a notification through the holder, from its row', async () => {
    const { agent, hostId } = await connectWithContainer(b, 'held-by-b-big');
    const container = await a.prisma.container.findFirstOrThrow({ where: { hostId } });
    // About 12 KB of arguments: more than a notification holds (8,000 bytes).
    const command = [
      'sh',
      '-c',
      `echo ${'x'.repeat(200)}`,
      ...Array.from({ length: 50 }, (_, i) => `arg-${i}-${'y'.repeat(230)}`),
    ];
    const asked = a.request<CommandDto>('POST', `/api/v1/containers/${container.id}/exec?wait=10`, { command });
    const frame = await agent.next('command');
    expect(frame.op).toBe('container.exec');
    expect((frame.params as { command: string[] }).command).toEqual(command);
    agent.send({ type: 'command.accepted', id: frame.id });
    agent.send({ type: 'command.result', id: frame.id, ok: true, result: { exitCode: 0, stdout: 'ok', stderr: '' } });
    const reply = await asked;
    expect(reply.body).toMatchObject({ id: frame.id, status: 'succeeded' });
    await new Promise((r) => setTimeout(r, 300));
    expect(agent.received.filter((m) => m.type === 'command' && m.id === frame.id)).toHaveLength(0);
    agent.close();
  });

  it('closes the older connection of a host that said hello to another replica, and refuses what it sends', async () => {
    const { agent: old, hostId } = await connectWithContainer(a, 'partitioned');
    const before = await a.prisma.host.findUniqueOrThrow({ where: { id: hostId } });
    expect(before.replicaId).toBe('replica-a2');

    // The same agent's credential, through B: a newer connection.
    const agentId = before.agentId;
    const identity = a.agentHeaders(agentId);
    const { RawAgent } = await import('../support/raw-agent.js');
    const fresh = await RawAgent.connect(b.wsUrl, identity, { agentId, hostname: 'partitioned' });
    fresh.send(fresh.hello({ lastAckedSeq: 1 }));
    await fresh.next('welcome');
    const after = await a.prisma.host.findUniqueOrThrow({ where: { id: hostId } });
    expect(after.replicaId).toBe('replica-b');
    expect(after.connectionEpoch).toBe(before.connectionEpoch + 1n);

    // What the old socket sends now is not applied: refused under the host's lock or dropped once closed.
    old.send({
      type: 'delta',
      seq: 2,
      changes: [{ op: 'remove', kind: 'container', key: recordKey('container', sampleDockerContainer) }],
    });
    const closed = await old.waitClosed(5_000);
    expect(closed.code).toBe(4409);
    expect((await a.prisma.host.findUniqueOrThrow({ where: { id: hostId } })).lastSeq).toBe(1n);
    expect(await a.prisma.container.count({ where: { hostId } })).toBe(1);

    // The newer connection is the host's: its delta is applied.
    fresh.send({
      type: 'delta',
      seq: 2,
      changes: [{ op: 'remove', kind: 'container', key: recordKey('container', sampleDockerContainer) }],
    });
    await fresh.next('ack');
    expect(await a.prisma.container.count({ where: { hostId } })).toBe(0);
    fresh.close();
  });

  it('sends the notes of one turn together, in order, and a note Postgres refuses costs the others nothing', async () => {
    const heard: [Channel, string][] = [];
    const onB = b.app.get(ClusterChannel);
    const off = [CHANNEL.hosts, CHANNEL.policies].map((channel) =>
      onB.listen(channel, (payload) => {
        if (payload.includes('"order-test')) heard.push([channel, payload]);
      }),
    );
    const fromA = a.app.get(ClusterChannel);
    // Harmless to the handlers: no host holds this id, and a policy note only makes B read policies again.
    const epoch = JSON.stringify({ h: '00000000-0000-4000-8000-00000000000e', e: 1, r: 'order-test-1' });
    const sent = [
      fromA.notify(CHANNEL.hosts, epoch),
      fromA.notify(CHANNEL.policies, '{"p":"order-test-2"}'),
      // Past the 8,000 bytes a notification may hold: Postgres refuses it.
      fromA.notify(CHANNEL.policies, `{"p":"order-test-too-long","x":"${'x'.repeat(9_000)}"}`),
      fromA.notify(CHANNEL.policies, '{"p":"order-test-3"}'),
    ];
    await Promise.all(sent);
    await waitFor('three notes on B', async () => heard.length >= 3, 5_000);
    expect(heard).toEqual([
      [CHANNEL.hosts, epoch],
      [CHANNEL.policies, '{"p":"order-test-2"}'],
      [CHANNEL.policies, '{"p":"order-test-3"}'],
    ]);
    for (const stop of off) stop();
  });

  it('applies a policy changed through one replica on the others at once', async () => {
    const agent = await b.agent({ hostname: 'policy-host' });
    agent.send(agent.hello({ labels: { trust: 'replicas' } }));
    const { hostId } = await agent.next('welcome');
    const hostNetwork = { runtime: 'docker', image: 'busybox', network: 'host' };
    // B has read the policies (none grants the host network) and remembers them for 2 s from a
    // moment after `read`.
    const read = Date.now();
    expect((await b.request('POST', `/api/v1/hosts/${hostId}/containers`, hostNetwork)).status).toBe(403);
    const policy = await a.request<{ id: string }>('POST', '/api/v1/policies', {
      name: 'replicas host network',
      selector: [{ label: 'trust', op: '=', value: 'replicas' }],
      grants: { hostNamespaces: true },
    });
    expect(policy.status).toBe(201);
    // The note reaches B before the 2 s it would otherwise remember the old policies are over.
    await waitFor(
      'the policy applied on B',
      async () => (await b.request('POST', `/api/v1/hosts/${hostId}/containers`, hostNetwork)).status === 202,
      5_000,
    );
    expect(Date.now() - read).toBeLessThan(2_000);
    expect((await a.request('DELETE', `/api/v1/policies/${policy.body.id}`)).status).toBe(204);
    await waitFor(
      'the policy gone on B',
      async () => (await b.request('POST', `/api/v1/hosts/${hostId}/containers`, hostNetwork)).status === 403,
      5_000,
    );
    agent.close();
  });
});
