import { PROTOCOL_VERSION, recordKey, sampleDockerContainer, sampleLease, sampleLxcContainer } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';

describe('agent gateway on real Postgres', () => {
  let ctl: TestController;

  beforeAll(async () => {
    ctl = await startTestController({ CORRAL_OFFLINE_GRACE_MS: '800', CORRAL_HEARTBEAT_INTERVAL_MS: '1000' });
  });

  afterAll(async () => {
    await ctl?.close();
  });

  const containers = async (hostId: string) =>
    ctl.prisma.container.findMany({ where: { hostId }, orderBy: { name: 'asc' } });

  it('replaces the inventory on snapshot, applies deltas once, and asks for a snapshot on a gap', async () => {
    const agent = await ctl.agent({ hostname: 'ingest-1' });
    const hello = agent.hello();
    agent.send(hello);
    const welcome = await agent.next('welcome');
    expect(welcome).toMatchObject({ lastSeq: 0, needSnapshot: true });
    const hostId = welcome.hostId;

    agent.send(snapshotOf(1, [sampleDockerContainer, sampleLxcContainer]));
    expect((await agent.next('ack')).seq).toBe(1);
    expect((await containers(hostId)).map((c) => c.name)).toEqual(['c1', 'web-1']);
    const lxcRowId = (await containers(hostId))[0]!.id;

    // Vanished rows go; surviving rows keep their ids.
    agent.send(snapshotOf(2, [sampleLxcContainer]));
    expect((await agent.next('ack')).seq).toBe(2);
    const afterSecond = await containers(hostId);
    expect(afterSecond.map((c) => [c.name, c.id])).toEqual([['c1', lxcRowId]]);

    agent.send({
      type: 'delta',
      seq: 3,
      changes: [
        { op: 'upsert', kind: 'container', record: { ...sampleLxcContainer, state: 'stopped', pid: null } },
        { op: 'remove', kind: 'lease', key: recordKey('lease', sampleLease) },
      ],
    });
    expect((await agent.next('ack')).seq).toBe(3);
    expect((await containers(hostId))[0]).toMatchObject({ state: 'stopped', pid: null, id: lxcRowId });
    expect(await ctl.prisma.lease.count({ where: { hostId } })).toBe(0);

    // A repeated or older seq is acknowledged but changes nothing.
    agent.send({
      type: 'delta',
      seq: 3,
      changes: [{ op: 'upsert', kind: 'container', record: { ...sampleLxcContainer, state: 'frozen' } }],
    });
    expect((await agent.next('ack')).seq).toBe(3);
    agent.send({ type: 'delta', seq: 2, changes: [{ op: 'remove', kind: 'container', key: 'lxc:/var/lib/lxc/c1' }] });
    expect((await agent.next('ack')).seq).toBe(2);
    expect((await containers(hostId))[0]!.state).toBe('stopped');

    // A skipped seq is not applied: the controller asks for a snapshot instead.
    agent.send({
      type: 'delta',
      seq: 5,
      changes: [{ op: 'remove', kind: 'container', key: 'lxc:/var/lib/lxc/c1' }],
    });
    const request = await agent.next('snapshot.request');
    expect(request.reason).toContain('expected seq 4');
    expect(await containers(hostId)).toHaveLength(1);
    const host = await ctl.prisma.host.findUniqueOrThrow({ where: { id: hostId } });
    expect(Number(host.lastSeq)).toBe(3);
    // The facts say h1; the host keeps the name it enrolled with.
    expect(host.hostname).toBe('ingest-1');
    expect(agent.received.filter((m) => m.type === 'ack')).toEqual([]);
    agent.close();
  });

  it('answers bad frames with an error naming the problem and writes nothing of them', async () => {
    const agent = await ctl.agent({ hostname: 'ingest-2' });
    agent.send({ type: 'delta', seq: 1, changes: [{ op: 'remove', kind: 'lease', key: 'x' }] });
    expect((await agent.next('error')).code).toBe('hello_required');

    agent.send(agent.hello());
    const { hostId } = await agent.next('welcome');
    agent.send('not json at all');
    expect((await agent.next('error')).code).toBe('invalid_json');
    agent.send({ type: 'teleport' });
    expect((await agent.next('error')).code).toBe('unknown_message_type');

    const broken = snapshotOf(1, [sampleDockerContainer, { ...sampleLxcContainer, state: 'sleeping' as never }]);
    agent.send(broken);
    const error = await agent.next('error');
    expect(error).toMatchObject({ code: 'invalid_message', field: 'containers[1].state', retryable: false });
    expect(error.message).toContain('containers[1].state');
    expect(await ctl.prisma.container.count({ where: { hostId } })).toBe(0);

    // The connection survives and a good frame still works.
    agent.send(snapshotOf(1, [sampleDockerContainer]));
    expect((await agent.next('ack')).seq).toBe(1);
    expect(await ctl.prisma.container.count({ where: { hostId } })).toBe(1);
    agent.close();
  });

  it('stores engine strings carrying NUL bytes instead of failing the snapshot forever', async () => {
    const agent = await ctl.agent({ hostname: 'ingest-nul' });
    agent.send(agent.hello());
    const { hostId } = await agent.next('welcome');
    const odd = {
      ...sampleDockerContainer,
      name: 'odd\u0000name',
      labels: { 'k\u0000': 'v\u0000', path: 'C:\\u0000' },
    };
    agent.send(snapshotOf(1, [odd]));
    expect((await agent.next('ack')).seq).toBe(1);
    const [row] = await containers(hostId);
    expect(row).toMatchObject({ name: 'oddname', labels: { k: 'v', path: 'C:\\u0000' } });
    agent.close();
  });

  it('refuses an unknown major protocol version naming both versions, then closes', async () => {
    const agent = await ctl.agent();
    agent.send(agent.hello({ protocolVersion: '2.0' }));
    const error = await agent.next('error');
    expect(error.code).toBe('protocol_version_unsupported');
    expect(error.message).toContain('2.0');
    expect(error.message).toContain(PROTOCOL_VERSION);
    expect((await agent.waitClosed()).code).toBe(4000);
  });

  it('marks a silent host offline after the grace period, keeps its inventory, and resumes it', async () => {
    const agent = await ctl.agent({ hostname: 'ingest-3' });
    const hello = agent.hello();
    agent.send(hello);
    const { hostId } = await agent.next('welcome');
    agent.send(snapshotOf(1, [sampleDockerContainer]));
    await agent.next('ack');
    expect((await ctl.prisma.host.findUniqueOrThrow({ where: { id: hostId } })).status).toBe('online');
    agent.close();

    const deadline = Date.now() + 10_000;
    let status = 'online';
    while (status !== 'offline' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await ctl.prisma.host.findUniqueOrThrow({ where: { id: hostId } })).status;
    }
    expect(status).toBe('offline');
    expect(await ctl.prisma.container.count({ where: { hostId } })).toBe(1);

    const again = await ctl.agent({ agentId: hello.agentId as string });
    again.send({ ...hello, lastAckedSeq: 1 });
    const welcome = await again.next('welcome');
    expect(welcome).toMatchObject({ hostId, lastSeq: 1, needSnapshot: false });
    const host = await ctl.prisma.host.findUniqueOrThrow({ where: { id: hostId } });
    expect(host.status).toBe('online');
    expect(host.offlineAt).toBeNull();
    again.close();
  });
});
