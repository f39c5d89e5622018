import { sampleDockerContainer } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';

// With one snapshot allowed in flight, the second agent's welcome waits for the first snapshot.
describe('snapshot admission', () => {
  let ctl: TestController;

  beforeAll(async () => {
    ctl = await startTestController({ CORRAL_SNAPSHOTS_IN_FLIGHT: '1' });
  });

  afterAll(async () => {
    await ctl?.close();
  });

  it('welcomes agents beyond the limit once a snapshot is applied or its agent leaves', async () => {
    const first = await ctl.agent({ hostname: 'admit-1' });
    first.send(first.hello());
    const welcome1 = await first.next('welcome');
    expect(welcome1.needSnapshot).toBe(true);

    const second = await ctl.agent({ hostname: 'admit-2' });
    second.send(second.hello());
    const third = await ctl.agent({ hostname: 'admit-3' });
    third.send(third.hello());
    await expect(second.next('welcome', 600)).rejects.toThrow('no welcome frame');

    first.send(snapshotOf(1, [sampleDockerContainer]));
    expect((await first.next('ack')).seq).toBe(1);
    const welcome2 = await second.next('welcome');
    expect(welcome2.needSnapshot).toBe(true);
    await expect(third.next('welcome', 300)).rejects.toThrow('no welcome frame');

    // An agent that goes away gives its place back.
    second.socket.close();
    expect((await third.next('welcome')).needSnapshot).toBe(true);
    third.send(snapshotOf(1, [{ ...sampleDockerContainer, id: 'f'.repeat(64), name: 'third' }]));
    expect((await third.next('ack')).seq).toBe(1);
    expect(await ctl.prisma.container.count({ where: { hostId: welcome1.hostId } })).toBe(1);
  });

  it('lets an agent that resumes from its outbox through while the places are taken', async () => {
    const first = await ctl.agent({ hostname: 'admit-resume' });
    const hello = first.hello();
    first.send(hello);
    const w = await first.next('welcome');
    first.send(snapshotOf(1, []));
    await first.next('ack');
    first.socket.close();
    await first.waitClosed();

    const holder = await ctl.agent({ hostname: 'admit-holder' });
    holder.send(holder.hello());
    await holder.next('welcome');

    const again = await ctl.agent({ agentId: hello.agentId as string });
    again.send(again.hello({ hostname: 'admit-resume', lastAckedSeq: 1 }));
    expect(await again.next('welcome', 2_000)).toMatchObject({ hostId: w.hostId, lastSeq: 1, needSnapshot: false });
    holder.send(snapshotOf(1, []));
    await holder.next('ack');
  });
});
