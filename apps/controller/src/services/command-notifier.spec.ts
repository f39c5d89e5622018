import { describe, expect, it } from 'vitest';
import type { CommandRow } from '../repositories/command.repository.js';
import { CommandNotifier, endedIdsOf, finalNotes } from './command-notifier.js';
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
        { listen: () => () => true, notify: async () => {}, alone: () => false } as never,
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

  // Two notifiers joined by one fake channel, as two replicas on the commands channel.
  const pair = () => {
    const listeners: ((payload: string) => void)[] = [];
    const notes: string[] = [];
    const channel = {
      listen: (_: string, handler: (payload: string) => void) => {
        listeners.push(handler);
        return () => true;
      },
      notify: async (_: string, payload: string) => {
        notes.push(payload);
        for (const l of listeners) l(payload);
      },
      alone: () => false,
    } as never;
    return {
      here: new CommandNotifier(new EventBus(), channel, new MetricsService()),
      there: new CommandNotifier(new EventBus(), channel, new MetricsService()),
      notes,
    };
  };

  it('sends no final note while alone: its own waiters are woken without one', async () => {
    const notes: string[] = [];
    const sut = new CommandNotifier(
      new EventBus(),
      {
        listen: () => () => true,
        notify: async (_: string, p: string) => void notes.push(p),
        alone: () => true,
      } as never,
      new MetricsService(),
    );
    const ended = row('succeeded');
    const waiting = sut.waitUntilFinal(ended.id, 10_000, async () => row('running'));
    await new Promise((r) => setImmediate(r));
    sut.transitioned(ended);
    expect((await waiting)?.status).toBe('succeeded');
    await new Promise((r) => setImmediate(r));
    expect(notes).toEqual([]);
  });

  it('carries an ended row to a waiter on another replica, which answers without reading it', async () => {
    const { here, there, notes } = pair();
    const ended = { ...row('succeeded'), result: { state: 'exited' } };
    let reads = 0;
    const waiting = here.waitUntilFinal(ended.id, 10_000, async () => {
      reads++;
      return row('sent');
    });
    await new Promise((r) => setTimeout(r, 10));
    there.transitioned(ended);
    const got = await waiting;
    expect(reads).toBe(1);
    expect(got).toMatchObject({ id: ended.id, status: 'succeeded', result: { state: 'exited' } });
    expect(got?.createdAt).toBeInstanceOf(Date);
    expect(got?.createdAt.getTime()).toBe(ended.createdAt.getTime());
    expect(notes).toHaveLength(1);
    expect(endedIdsOf(notes[0]!)).toEqual([ended.id]);
  });

  it('announces a row too large for a note by its id, and the waiter reads it', async () => {
    const { here, there } = pair();
    const big = { ...row('succeeded'), output: 'x'.repeat(10_000) };
    let reads = 0;
    const waiting = here.waitUntilFinal(big.id, 10_000, async () => {
      reads++;
      return reads === 1 ? row('sent') : big;
    });
    await new Promise((r) => setTimeout(r, 10));
    there.transitioned(big);
    expect((await waiting)?.output).toHaveLength(10_000);
    expect(reads).toBe(2);
  });

  it('splits final notes to fit a notification, each command in exactly one', () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({
      ...commandRow('succeeded', { op: 'container.start' }),
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      ...(i % 7 === 0 ? { output: 'y'.repeat(5_000) } : {}),
    }));
    const notes = finalNotes(rows);
    expect(notes.length).toBeGreaterThan(1);
    for (const note of notes) expect(Buffer.byteLength(note)).toBeLessThanOrEqual(7_500);
    expect(notes.flatMap(endedIdsOf).sort()).toEqual(rows.map((r) => r.id).sort());
  });
});
