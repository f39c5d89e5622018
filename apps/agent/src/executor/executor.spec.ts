import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentMessage, CommandMessage, CommandResultMessage } from '@corral/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { CommandExecutor, type CommandLink } from './executor.js';
import { type CommandContext, CommandFailure, type OpHandlers } from './handler.js';
import { CommandJournal } from './journal.js';

// A link that records every frame, and a log of events in order (frames and refreshes).
class FakeLink implements CommandLink {
  connected = true;
  seq = 1;
  frames: AgentMessage[] = [];
  snapshots = 0;
  constructor(private readonly events: string[]) {}
  sendFrame(message: AgentMessage): number | null {
    if (!this.connected) return null;
    this.frames.push(message);
    this.events.push(message.type);
    return this.seq;
  }
  sendSnapshotNow(): boolean {
    this.snapshots++;
    this.events.push('snapshot');
    return this.connected;
  }
  results(): CommandResultMessage[] {
    return this.frames.filter((f): f is CommandResultMessage => f.type === 'command.result');
  }
}

// Nomad's mock driver, in small: a handler told to fail, stall, or stall ignoring its signal.
interface FakeBehaviour {
  error?: unknown;
  stall?: 'until-abort' | 'forever';
  result?: Record<string, unknown>;
  output?: string;
}

function fakeHandlers(calls: CommandContext[], behave: () => FakeBehaviour): OpHandlers {
  const handler = async (ctx: CommandContext) => {
    calls.push(ctx);
    const b = behave();
    if (b.output) ctx.output('stdout', b.output);
    if (b.stall === 'until-abort') {
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    }
    if (b.stall === 'forever') await new Promise(() => {});
    if (b.error) throw b.error;
    return b.result ?? { ok: 1 };
  };
  return {
    'container.start': handler,
    'container.exec': handler,
    'container.stop': handler,
    'container.restart': handler,
    'container.create': handler,
    'network.create': handler,
    'image.prune': handler,
  } as OpHandlers;
}

const inAMinute = () => new Date(Date.now() + 60_000).toISOString();

function command(over: Partial<CommandMessage> = {}): CommandMessage {
  return {
    type: 'command',
    id: randomUUID(),
    op: 'container.start',
    target: { kind: 'container', runtime: 'docker', id: 'abc', lxcPath: null },
    params: {},
    deadline: inAMinute(),
    ...over,
  };
}

describe('CommandExecutor', () => {
  let dir: string;
  let journal: CommandJournal;
  let events: string[];
  let link: FakeLink;
  let calls: CommandContext[];
  let behaviour: FakeBehaviour;
  let refreshed: (string[] | 'all')[];
  let changed: string[][];
  let sut: CommandExecutor;

  const makeExecutor = (j: CommandJournal, opts: { lxc?: boolean } = {}) =>
    new CommandExecutor({
      handlers: {
        docker: fakeHandlers(calls, () => behaviour),
        ...(opts.lxc ? { lxc: fakeHandlers(calls, () => behaviour) } : {}),
      },
      journal: j,
      link,
      refresh: async (sources, ids) => {
        await new Promise((r) => setTimeout(r, 20));
        refreshed.push(sources);
        changed.push(ids);
        events.push(`refresh:${sources === 'all' ? 'all' : sources.join(',')}`);
      },
      logger: silentLogger,
      abortGraceMs: 100,
    });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'corral-executor-'));
    journal = (await CommandJournal.open(dir, { logger: silentLogger })).journal;
    events = [];
    link = new FakeLink(events);
    calls = [];
    behaviour = {};
    refreshed = [];
    changed = [];
    sut = makeExecutor(journal);
  });

  afterEach(async () => {
    await sut.stop();
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses what its policy refuses, before journaling or running anything', async () => {
    const policed = new CommandExecutor({
      handlers: { docker: fakeHandlers(calls, () => behaviour) },
      journal,
      link,
      refresh: async () => {},
      logger: silentLogger,
      policy: (m) => (m.op === 'container.create' ? { code: 'forbidden', message: 'no', retryable: false } : null),
    });
    const msg = command({
      op: 'container.create',
      target: { kind: 'host' },
      params: { runtime: 'docker', image: 'b' },
    });
    policed.handleCommand(msg);
    await policed.idle();
    expect(calls).toEqual([]);
    expect(events).toEqual(['command.result']);
    expect(link.results()[0]).toMatchObject({ ok: false, error: { code: 'forbidden', message: 'no' } });
  });

  it('accepts, runs, refreshes the inventory, then sends the result', async () => {
    behaviour = { result: { id: 'abc', changed: true } };
    const msg = command();
    sut.handleCommand(msg);
    await sut.idle();
    expect(events).toEqual(['command.accepted', 'refresh:docker', 'command.result']);
    expect(link.results()).toEqual([
      { type: 'command.result', id: msg.id, ok: true, result: { id: 'abc', changed: true }, error: null },
    ]);
    expect(calls[0]?.params).toEqual({});
  });

  it('hands the handler params with defaults applied', async () => {
    sut.handleCommand(command({ op: 'container.stop', params: { kill: true } }));
    await sut.idle();
    expect(calls[0]?.params).toEqual({ timeoutSeconds: 10, kill: true });
  });

  it('streams handler output between accepted and result', async () => {
    behaviour = { output: 'hello\n' };
    const msg = command({ op: 'container.exec', params: { command: ['echo', 'hello'] } });
    sut.handleCommand(msg);
    await sut.idle();
    expect(events).toEqual(['command.accepted', 'command.output', 'refresh:docker', 'command.result']);
    expect(link.frames[1]).toEqual({ type: 'command.output', id: msg.id, stream: 'stdout', chunk: 'hello\n' });
  });

  it('runs a command delivered twice once: the second delivery while running is only re-accepted', async () => {
    behaviour = { stall: 'until-abort' };
    const msg = command();
    sut.handleCommand(msg);
    sut.handleCommand(msg);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(1);
    expect(link.frames.map((f) => f.type)).toEqual(['command.accepted', 'command.accepted']);
    sut.handleCancel({ type: 'command.cancel', id: msg.id });
    await sut.idle();
    expect(calls).toHaveLength(1);
  });

  it('answers a finished command from the journal without running it again', async () => {
    const msg = command();
    sut.handleCommand(msg);
    await sut.idle();
    sut.handleCommand(msg);
    await sut.idle();
    expect(calls).toHaveLength(1);
    const results = link.results();
    expect(results).toHaveLength(2);
    expect(results[1]).toEqual(results[0]);
  });

  it('answers from the journal after a restart, without running again', async () => {
    const msg = command();
    sut.handleCommand(msg);
    await sut.idle();
    await journal.close();
    journal = (await CommandJournal.open(dir, { logger: silentLogger })).journal;
    sut = makeExecutor(journal);
    sut.handleCommand(msg);
    await sut.idle();
    expect(calls).toHaveLength(1);
    expect(link.results().map((r) => r.ok)).toEqual([true, true]);
  });

  it('ends a command running when the agent died as interrupted, and sends that after the welcome', async () => {
    const msg = command();
    behaviour = { stall: 'forever' };
    sut.handleCommand(msg);
    await new Promise((r) => setTimeout(r, 20));
    // The process dies here: reopen the journal as a new process would, without finishing.
    const opened = await CommandJournal.open(dir, { logger: silentLogger });
    expect(opened.interrupted.map((e) => e.id)).toEqual([msg.id]);
    const otherLink = new FakeLink([]);
    const restarted = new CommandExecutor({
      handlers: { docker: fakeHandlers(calls, () => ({})) },
      journal: opened.journal,
      link: otherLink,
      refresh: async () => {},
      logger: silentLogger,
    });
    restarted.resendUnconfirmed();
    expect(otherLink.results()).toEqual([
      {
        type: 'command.result',
        id: msg.id,
        ok: false,
        result: null,
        error: expect.objectContaining({ code: 'interrupted' }),
      },
    ]);
    // Delivered again, it is answered from the journal and not run.
    restarted.handleCommand(msg);
    await restarted.idle();
    expect(calls).toHaveLength(1);
    expect(otherLink.results()[1]?.error?.code).toBe('interrupted');
    await opened.journal.close();
    behaviour = {};
  });

  it('cancels a running command: the handler sees the signal and the result is canceled', async () => {
    behaviour = { stall: 'until-abort' };
    const msg = command();
    sut.handleCommand(msg);
    await new Promise((r) => setTimeout(r, 20));
    sut.handleCancel({ type: 'command.cancel', id: msg.id });
    await sut.idle();
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(link.results()[0]).toMatchObject({ ok: false, error: { code: 'canceled', retryable: false } });
  });

  it('ends a handler that ignores its signal after the grace period', async () => {
    behaviour = { stall: 'forever' };
    const msg = command();
    sut.handleCommand(msg);
    await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    sut.handleCancel({ type: 'command.cancel', id: msg.id });
    await sut.idle();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(link.results()[0]?.error?.code).toBe('canceled');
  });

  it('stops a command at its deadline with timeout', async () => {
    behaviour = { stall: 'until-abort' };
    const msg = command({ deadline: new Date(Date.now() + 150).toISOString() });
    sut.handleCommand(msg);
    await sut.idle();
    expect(link.results()[0]).toMatchObject({ ok: false, error: { code: 'timeout' } });
  });

  it('does not start a command whose deadline has passed', async () => {
    sut.handleCommand(command({ deadline: new Date(Date.now() - 1000).toISOString() }));
    await sut.idle();
    expect(calls).toHaveLength(0);
    expect(link.results()[0]?.error?.code).toBe('timeout');
  });

  it('refuses invalid params, naming the field, without running or accepting', async () => {
    sut.handleCommand(command({ op: 'container.stop', params: { timeoutSeconds: -1 } }));
    await sut.idle();
    expect(calls).toHaveLength(0);
    expect(link.frames.map((f) => f.type)).toEqual(['command.result']);
    expect(link.results()[0]?.error).toMatchObject({ code: 'invalid_params', retryable: false });
    expect(link.results()[0]?.error?.message).toContain('params.timeoutSeconds');
  });

  it('refuses ops the runtime cannot do, and runtimes without handlers, as unsupported', async () => {
    const lxc = { kind: 'container' as const, runtime: 'lxc' as const, id: 'web', lxcPath: null };
    sut.handleCommand(command({ op: 'container.pause', target: lxc }));
    sut.handleCommand(command({ op: 'container.start', target: lxc }));
    sut.handleCommand(command({ op: 'container.freeze' }));
    sut.handleCommand(command({ op: 'image.prune', target: { kind: 'image', id: 'sha256:1' } }));
    await sut.idle();
    expect(calls).toHaveLength(0);
    const errors = link.results().map((r) => r.error);
    expect(errors.map((e) => e?.code)).toEqual(['unsupported', 'unsupported', 'unsupported', 'unsupported']);
    expect(errors[0]?.message).toContain('container.pause');
    expect(errors[1]?.message).toContain('lxc');
    expect(errors[3]?.message).toContain('host target');
  });

  it('sends lxc container ops to the lxc handlers and refreshes the lxc source', async () => {
    sut = makeExecutor(journal, { lxc: true });
    sut.handleCommand(
      command({ op: 'container.start', target: { kind: 'container', runtime: 'lxc', id: 'web', lxcPath: null } }),
    );
    await sut.idle();
    expect(link.results()[0]?.ok).toBe(true);
    expect(refreshed).toEqual([['lxc']]);
  });

  it('maps engine errors: 404 not_found, 409 conflict, connection errors retryable', async () => {
    const engine = (statusCode: number, message: string) =>
      Object.assign(new Error(`(HTTP code ${statusCode}) x - ${message}`), { statusCode, json: { message } });
    const cases: [unknown, object][] = [
      [
        engine(404, 'No such container: abc'),
        { code: 'not_found', message: 'No such container: abc', retryable: false },
      ],
      [engine(409, 'is already paused'), { code: 'conflict', message: 'is already paused', retryable: false }],
      [engine(500, 'driver failed'), { code: 'engine_error', message: 'driver failed', retryable: false }],
      [
        Object.assign(new Error('connect ECONNREFUSED /x.sock'), { code: 'ECONNREFUSED' }),
        { code: 'engine_error', retryable: true },
      ],
      [
        new CommandFailure('in_use', 'volume v is in use by web'),
        { code: 'in_use', message: 'volume v is in use by web' },
      ],
      [new TypeError('boom'), { code: 'internal', message: 'boom' }],
    ];
    for (const [error] of cases) {
      behaviour = { error };
      sut.handleCommand(command());
      await sut.idle();
    }
    expect(link.results().map((r) => r.error)).toEqual(cases.map(([, e]) => expect.objectContaining(e)));
  });

  it('refreshes the inventory after a failed run too, since a failure can leave a partial change', async () => {
    behaviour = { error: new CommandFailure('engine_error', 'half done') };
    sut.handleCommand(command());
    await sut.idle();
    expect(events).toEqual(['command.accepted', 'refresh:docker', 'command.result']);
  });

  it('refreshes docker and the bridges for network ops', async () => {
    sut.handleCommand(command({ op: 'network.create', target: { kind: 'host' }, params: { name: 'n1' } }));
    await sut.idle();
    expect(refreshed).toEqual([['docker', 'bridges']]);
  });

  it('names the containers a command may have changed, so only their cached details are read again', async () => {
    sut.handleCommand(command({ op: 'container.restart', params: {} }));
    await sut.idle();
    behaviour = { result: { id: 'new1', name: 'web' } };
    sut.handleCommand(
      command({ op: 'container.create', target: { kind: 'host' }, params: { runtime: 'docker', image: 'busybox' } }),
    );
    await sut.idle();
    behaviour = {};
    sut.handleCommand(command({ op: 'network.create', target: { kind: 'host' }, params: { name: 'n1' } }));
    await sut.idle();
    expect(changed).toEqual([['abc'], ['new1'], []]);
  });

  it('host.refresh re-reads every source, then sends a snapshot, then the result', async () => {
    sut.handleCommand(command({ op: 'host.refresh', target: { kind: 'host' } }));
    await sut.idle();
    expect(events).toEqual(['command.accepted', 'refresh:all', 'snapshot', 'command.result']);
    expect(link.results()[0]?.ok).toBe(true);
  });

  it('sends the result even when the refresh fails', async () => {
    sut = new CommandExecutor({
      handlers: { docker: fakeHandlers(calls, () => behaviour) },
      journal,
      link,
      refresh: () => Promise.reject(new Error('docker gone')),
      logger: silentLogger,
    });
    sut.handleCommand(command());
    await sut.idle();
    expect(link.results()[0]?.ok).toBe(true);
  });

  it('keeps a result that could not be sent and sends it after the next welcome, until acknowledged', async () => {
    link.connected = false;
    const msg = command();
    sut.handleCommand(msg);
    await sut.idle();
    expect(link.frames).toEqual([]);

    link.connected = true;
    link.seq = 7;
    sut.resendUnconfirmed();
    expect(link.results().map((r) => r.id)).toEqual([msg.id]);

    // An ack below the mark proves nothing; one at or above it means the controller saw the result.
    sut.acknowledged(6);
    sut.resendUnconfirmed();
    expect(link.results()).toHaveLength(2);
    link.seq = 9;
    sut.resendUnconfirmed();
    sut.acknowledged(9);
    sut.resendUnconfirmed();
    expect(link.results()).toHaveLength(3);
    expect(journal.unconfirmed()).toEqual([]);
  });

  it('ends running commands as interrupted when the agent stops', async () => {
    behaviour = { stall: 'until-abort' };
    sut.handleCommand(command());
    await new Promise((r) => setTimeout(r, 20));
    await sut.stop();
    expect(link.results()[0]?.error?.code).toBe('interrupted');
  });
});
