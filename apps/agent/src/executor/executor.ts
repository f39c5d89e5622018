import {
  type AgentMessage,
  type CommandCancel,
  type CommandError,
  type CommandMessage,
  containerKey,
  opSpec,
  parseCommandParams,
  RUNTIME_OPS,
  type RuntimeName,
  refreshSourcesOf,
  runtimeOfCommand,
  targetKindOf,
} from '@corral/protocol';
import type { Logger } from '../lib/logger.js';
import { toCommandError } from './errors.js';
import type { CommandContext, OpHandler, OpHandlers } from './handler.js';
import type { CommandJournal, CommandOutcome, FinishedCommand } from './journal.js';

// The session, as the executor needs it.
export interface CommandLink {
  // Sends when the session is synced; returns a delivery mark (see Session.sendFrame) or null.
  sendFrame(message: AgentMessage): number | null;
  sendSnapshotNow(): boolean;
}

export interface ExecutorOptions {
  // Host-wide ops that need no runtime (the doctor) are under `host`.
  handlers: Partial<Record<RuntimeName | 'host', OpHandlers>>;
  journal: CommandJournal;
  link: CommandLink;
  // Re-collects those sources (or every one) and publishes the delta before it resolves; `changed` names
  // the containers (engine ids) whose cached details the command may have made stale.
  refresh: (sources: string[] | 'all', changed: string[]) => Promise<void>;
  logger: Logger;
  // How long a handler that ignores its abort signal is waited for before the command is ended anyway.
  abortGraceMs?: number;
  refreshTimeoutMs?: number;
  outputChunkBytes?: number;
  // The agent's own limits on what a command may do (CORRAL_AGENT_POLICY): an error refuses it.
  policy?: (message: CommandMessage) => CommandError | null;
}

interface Running {
  abort: AbortController;
  // Why the signal fired; decides between `canceled` and `timeout`.
  reason: 'cancel' | 'deadline' | 'shutdown' | null;
}

// Longest delay setTimeout accepts.
const MAX_TIMER_MS = 2_147_483_647;
// Results the controller may still be waiting for; older ones stay in the journal only.
const MAX_RESEND = 1_000;

// Runs commands from the controller exactly once: journaled before and after running, results
// answered from the journal on redelivery, the inventory refreshed before each result is sent.
export class CommandExecutor {
  private readonly running = new Map<string, Running>();
  private readonly tasks = new Set<Promise<void>>();
  // Results sent on the current connection, by the sequence number whose ack proves they arrived.
  private readonly marks = new Map<string, number>();
  private stopping = false;

  constructor(private readonly opts: ExecutorOptions) {}

  // Answers interrupted commands from the last run, and any result not yet seen by the controller.
  resendUnconfirmed(): void {
    this.marks.clear();
    for (const entry of this.opts.journal.unconfirmed().slice(-MAX_RESEND)) {
      if (this.running.has(entry.id)) continue;
      this.sendResult(entry);
    }
  }

  // The controller applied every frame up to `seq`, so it has seen results sent before that frame.
  acknowledged(seq: number): void {
    for (const [id, mark] of this.marks) {
      if (mark > seq) continue;
      this.marks.delete(id);
      this.opts.journal.confirm(id);
    }
  }

  handleCommand(message: CommandMessage): void {
    const { journal, logger } = this.opts;
    const done = journal.finished(message.id);
    if (done) {
      logger.info('command delivered again; answering from the journal', { id: message.id, op: message.op });
      this.sendResult(done);
      return;
    }
    if (this.running.has(message.id) || journal.isRunning(message.id)) {
      this.opts.link.sendFrame({ type: 'command.accepted', id: message.id });
      return;
    }
    if (this.stopping) {
      // Not journaled: the controller delivers it again to the next agent process.
      logger.info('agent stopping; command left for the next run', { id: message.id, op: message.op });
      return;
    }
    this.track(this.execute(message));
  }

  handleCancel(message: CommandCancel): void {
    const run = this.running.get(message.id);
    if (!run) {
      this.opts.logger.debug('cancel for a command that is not running', { id: message.id });
      return;
    }
    this.abort(run, 'cancel');
  }

  // Settles when every command has ended; used by tests and at shutdown.
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  // Aborts what runs; those commands end `interrupted`.
  async stop(): Promise<void> {
    this.stopping = true;
    for (const run of this.running.values()) this.abort(run, 'shutdown');
    await this.idle();
  }

  private async execute(message: CommandMessage): Promise<void> {
    const { id, op } = message;
    const log = this.opts.logger;
    const rejected = this.check(message);
    if (rejected) {
      log.info('command refused', { id, op, code: rejected.code, message: rejected.message });
      await this.finish(message, { ok: false, error: rejected }, null);
      return;
    }
    const handler = this.handlerFor(message);
    const parsed = parseCommandParams(op, message.params);
    if (!parsed.ok) throw new Error('unreachable: params were checked');

    const run: Running = { abort: new AbortController(), reason: null };
    this.running.set(id, run);
    const deadline = new Date(message.deadline);
    const timer = setTimeout(() => this.abort(run, 'deadline'), clampDelay(deadline.getTime() - Date.now()));
    try {
      try {
        await this.opts.journal.start(id, op);
      } catch (error) {
        // Without the journal a redelivery could run it twice, so it does not run at all.
        log.error('cannot journal a command; refusing it', { id, op, error });
        const message = `agent cannot write its command journal: ${(error as Error).message}`;
        this.sendResult({
          id,
          op,
          at: new Date().toISOString(),
          ok: false,
          error: { code: 'internal', message, retryable: true },
        });
        return;
      }
      this.opts.link.sendFrame({ type: 'command.accepted', id });
      log.info('command started', { id, op, target: message.target });
      const ctx: CommandContext = {
        id,
        op,
        target: message.target,
        params: parsed.params,
        deadline,
        signal: run.abort.signal,
        output: (stream, chunk) => this.output(id, stream, chunk),
        logger: log,
      };
      const started = performance.now();
      const outcome = await this.runHandler(handler, ctx, run, message);
      const sources = sourcesFor(message);
      await this.finish(message, outcome, sources, performance.now() - started);
    } finally {
      clearTimeout(timer);
      this.running.delete(id);
    }
  }

  // Refusals that need no engine: bad params, an op the target cannot take, a passed deadline.
  private check(message: CommandMessage): CommandError | null {
    const { op, target } = message;
    const parsed = parseCommandParams(op, message.params);
    if (!parsed.ok) return { code: 'invalid_params', message: parsed.message, retryable: false };
    const kind = targetKindOf(op);
    if (target.kind !== kind) {
      return { code: 'unsupported', message: `${op} acts on a ${kind} target, not a ${target.kind}`, retryable: false };
    }
    if (target.kind === 'container' && !RUNTIME_OPS[target.runtime].has(op)) {
      return { code: 'unsupported', message: `${target.runtime} containers do not support ${op}`, retryable: false };
    }
    if (op !== 'host.refresh' && !this.handlerFor(message)) {
      const runtime = runtimeOf(message);
      return {
        code: 'unsupported',
        message: `this agent cannot run ${op} on ${runtime} (runtime not available to commands)`,
        retryable: false,
      };
    }
    if (new Date(message.deadline).getTime() <= Date.now()) {
      return { code: 'timeout', message: 'the deadline passed before the command could start', retryable: false };
    }
    return this.opts.policy?.(message) ?? null;
  }

  private handlerFor(message: CommandMessage): OpHandler | undefined {
    const runtime = runtimeOfCommand(message.op, message.target, message.params);
    const handlers = runtime ? this.opts.handlers[runtime] : this.opts.handlers.host;
    return handlers?.[message.op] as OpHandler | undefined;
  }

  private async runHandler(
    handler: OpHandler | undefined,
    ctx: CommandContext,
    run: Running,
    message: CommandMessage,
  ): Promise<CommandOutcome> {
    // host.refresh is the refresh and snapshot that follow every command, with nothing before them.
    if (!handler) return { ok: true, result: {} };
    const grace = this.opts.abortGraceMs ?? 5_000;
    // A handler that ignores its signal is given `grace` to notice, then the command ends without it.
    const abandoned = new Promise<'abandoned'>((resolve) => {
      const onAbort = () => setTimeout(() => resolve('abandoned'), grace).unref();
      if (run.abort.signal.aborted) onAbort();
      else run.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([handler(ctx), abandoned]);
      if (result === 'abandoned') {
        ctx.logger.warn('handler ignored its abort signal; ending the command without it', { id: ctx.id, op: ctx.op });
        return { ok: false, error: abortError(run) };
      }
      if (run.reason) return { ok: false, error: abortError(run) };
      return { ok: true, result: withCreatedKey(message, result) };
    } catch (error) {
      if (run.reason) return { ok: false, error: abortError(run) };
      const wire = toCommandError(error);
      if (wire.code === 'internal') ctx.logger.error('command failed unexpectedly', { id: ctx.id, op: ctx.op, error });
      return { ok: false, error: wire };
    }
  }

  // Journal first (so a crash cannot run it again), then the inventory, then the result.
  private async finish(
    message: CommandMessage,
    outcome: CommandOutcome,
    sources: string[] | 'all' | null,
    handlerMs = 0,
  ) {
    const finishing = performance.now();
    let entry: FinishedCommand;
    try {
      entry = await this.opts.journal.finish(message.id, message.op, outcome);
    } catch (error) {
      this.opts.logger.error('cannot journal a command result', { id: message.id, error });
      entry = { id: message.id, op: message.op, at: new Date().toISOString(), ...outcome };
    }
    if (sources) await this.refresh(message, sources, changedContainers(message, outcome));
    if (message.op === 'host.refresh' && outcome.ok && !this.opts.link.sendSnapshotNow()) {
      this.opts.logger.warn('host.refresh: not connected, the snapshot follows the next welcome', { id: message.id });
    }
    this.opts.logger.info('command finished', {
      id: message.id,
      op: message.op,
      ok: outcome.ok,
      ...(outcome.ok ? {} : { code: outcome.error.code, message: outcome.error.message }),
      // Where the time went: the engine work, then journal and inventory refresh before the result.
      handlerMs: Math.round(handlerMs),
      refreshMs: Math.round(performance.now() - finishing),
    });
    this.sendResult(entry);
  }

  private async refresh(message: CommandMessage, sources: string[] | 'all', changed: string[]): Promise<void> {
    const ms = this.opts.refreshTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`inventory refresh took longer than ${ms} ms`)), ms);
    });
    try {
      await Promise.race([this.opts.refresh(sources, changed), timeout]);
    } catch (error) {
      // The result still goes out; the next collection round reports the change.
      this.opts.logger.warn('cannot refresh the inventory after a command', { id: message.id, sources, error });
    } finally {
      clearTimeout(timer);
    }
  }

  private sendResult(entry: FinishedCommand): void {
    const frame: AgentMessage = entry.ok
      ? { type: 'command.result', id: entry.id, ok: true, result: entry.result, error: null }
      : { type: 'command.result', id: entry.id, ok: false, result: null, error: entry.error };
    const mark = this.opts.link.sendFrame(frame);
    if (mark !== null) this.marks.set(entry.id, mark);
  }

  private output(id: string, stream: 'stdout' | 'stderr', chunk: string): void {
    if (chunk.length === 0 || !this.running.has(id)) return;
    const size = this.opts.outputChunkBytes ?? 64 * 1024;
    for (let i = 0; i < chunk.length; i += size) {
      this.opts.link.sendFrame({ type: 'command.output', id, stream, chunk: chunk.slice(i, i + size) });
    }
  }

  private abort(run: Running, reason: NonNullable<Running['reason']>): void {
    if (run.reason) return;
    run.reason = reason;
    run.abort.abort(new Error(reason));
  }

  private track(task: Promise<void>): void {
    const tracked = task
      .catch((error: unknown) => this.opts.logger.error('command executor failed', { error }))
      .finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }
}

function abortError(run: Running): CommandError {
  switch (run.reason) {
    case 'deadline':
      return { code: 'timeout', message: 'the command passed its deadline and was stopped', retryable: false };
    case 'shutdown':
      return {
        code: 'interrupted',
        message: 'the agent stopped while this command ran; check the inventory before retrying',
        retryable: false,
      };
    default:
      return { code: 'canceled', message: 'the command was canceled', retryable: false };
  }
}

function runtimeOf(message: CommandMessage): RuntimeName {
  // Host-wide ops without a runtime (host.refresh) have no handler; docker is as good a key as any.
  return runtimeOfCommand(message.op, message.target, message.params) ?? 'docker';
}

// Which collectors see the effect of an op (the registry's refresh list).
export function sourcesFor(message: Pick<CommandMessage, 'op' | 'target' | 'params'>): string[] | 'all' {
  return refreshSourcesOf(message.op, runtimeOfCommand(message.op, message.target, message.params));
}

// The result as sent: for ops that make a container, its inventory key and engine id are added, so
// the controller can name the new row by its Corral id.
export function withCreatedKey(message: CommandMessage, result: Record<string, unknown>): Record<string, unknown> {
  if (opSpec(message.op).creates !== 'container') return result;
  const runtime = runtimeOf(message);
  const name = typeof result.name === 'string' ? result.name : null;
  if (runtime === 'docker' && typeof result.id === 'string') {
    return {
      ...result,
      engineId: result.id,
      key: containerKey({ runtime, id: result.id, name: name ?? '', lxcPath: null }),
    };
  }
  if (runtime === 'lxc' && name && typeof result.lxcPath === 'string') {
    return { ...result, engineId: name, key: containerKey({ runtime, id: name, name, lxcPath: result.lxcPath }) };
  }
  return result;
}

// Containers a command may have changed without a change of state (a restart keeps `running` with a new
// pid and start time), so the collector reads them again. Images, volumes and network membership are
// listed afresh on every collection and need nothing here.
export function changedContainers(message: Pick<CommandMessage, 'op' | 'target'>, outcome: CommandOutcome): string[] {
  if (message.target.kind === 'container') return [message.target.id];
  if (message.op === 'container.create' && outcome.ok && typeof outcome.result.id === 'string') {
    return [outcome.result.id];
  }
  return [];
}

function clampDelay(ms: number): number {
  return Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}
