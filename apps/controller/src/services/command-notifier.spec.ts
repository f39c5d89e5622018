import { describe, expect, it } from 'vitest';
import type { CommandRow } from '../repositories/command.repository.js';
import { CommandNotifier } from './command-notifier.js';
import { commandRow } from './command-row.fixture.js';
import { type CorralEvent, EventBus } from './event-bus.js';
import { MetricsService } from './metrics.service.js';

// The notifier does not look at the op.
const row = (status: CommandRow['status']): CommandRow => commandRow(status, { op: 'container.start' });

describe('CommandNotifier', () => {
  const setup = () => {
    const bus = new EventBus();
    const events: CorralEvent[] = [];
    bus.subscribe((e) => events.push(e));
    return {
      sut: new CommandNotifier(
        bus,
        { listen: () => () => true, notify: async () => {} } as never,
        new MetricsService(),
      ),
      events,
    };
  };

  it('publishes each transition as command-<status>', () => {
    const { sut, events } = setup();
    sut.transitioned(row('sent'));
    sut.transitioned(row('timed_out'));
    sut.output(row('running').id, row('running').hostId, 'stdout', 'hi');
    expect(events.map((e) => [e.type, e.kind])).toEqual([
      ['command-sent', 'command'],
      ['command-timed_out', 'command'],
      ['command-output', 'command'],
    ]);
    expect(events[0]!.data).toMatchObject({
      id: row('sent').id,
      status: 'sent',
      url: `/api/v1/commands/${row('sent').id}`,
    });
  });

  it('answers at once for a command that already ended', async () => {
    const { sut } = setup();
    const started = Date.now();
    expect((await sut.waitUntilFinal(row('sent').id, 10_000, async () => row('failed')))?.status).toBe('failed');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('wakes a waiter when the command ends, and not on a mere step', async () => {
    const { sut } = setup();
    let current = row('sent');
    const waiting = sut.waitUntilFinal(current.id, 10_000, async () => current);
    await new Promise((r) => setTimeout(r, 20));
    current = row('running');
    sut.transitioned(current);
    let settled = false;
    void waiting.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    current = row('succeeded');
    sut.transitioned(current);
    expect((await waiting)?.status).toBe('succeeded');
  });

  it('answers with the row the final transition returned, without reading it again', async () => {
    const { sut } = setup();
    let reads = 0;
    const waiting = sut.waitUntilFinal(row('sent').id, 10_000, async () => {
      reads++;
      return row('sent');
    });
    await new Promise((r) => setTimeout(r, 20));
    sut.transitioned({ ...row('succeeded'), result: { ok: 1 } });
    expect(await waiting).toMatchObject({ status: 'succeeded', result: { ok: 1 } });
    expect(reads).toBe(1);
  });

  it('hands a watch the ended row, or null once the time is up', async () => {
    const { sut } = setup();
    const watch = sut.watch(row('sent').id, 10_000);
    sut.transitioned(row('running'));
    sut.transitioned(row('failed'));
    expect((await watch.ended)?.status).toBe('failed');
    watch.stop();
    const late = sut.watch(row('sent').id, 30);
    expect(await late.ended).toBeNull();
    late.stop();
  });

  it('gives up after the wait and answers with the command as it is', async () => {
    const { sut } = setup();
    const started = Date.now();
    expect((await sut.waitUntilFinal(row('sent').id, 100, async () => row('running')))?.status).toBe('running');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});
