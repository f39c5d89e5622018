import type { CommandMessage, CommandResultMessage } from '@corral/protocol';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AgentSession } from '../gateways/agent-session.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Clock } from '../repositories/clock.repository.js';
import {
  type AcceptedCommand,
  CommandRepository,
  type CommandRow,
  type FinishedCommand,
} from '../repositories/command.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { UploadRepository } from '../repositories/upload.repository.js';
import { Batcher } from './batcher.js';
import { CommandNotifier } from './command-notifier.js';
import { expiryOutcome, isFinal, statusOfResult, TRANSITIONS } from './command-rules.js';
import { ConnectedHosts } from './connected-hosts.js';
import { ResultCapService } from './result-cap.js';

export const SWEEP_INTERVAL_MS = 1_000;
// Streamed output kept per command; the final result carries all of it anyway.
export const OUTPUT_CAP_CHARS = 64 * 1024;

// What a batched write gives each item: its changed row, null when nothing changed, or why it failed.
type Written = CommandRow | null | Error;

function unwrap(written: Written): CommandRow | null {
  if (written instanceof Error) throw written;
  return written;
}

export function commandFrame(row: CommandRow): CommandMessage {
  return {
    type: 'command',
    id: row.id,
    op: row.op as CommandMessage['op'],
    target: row.target as CommandMessage['target'],
    params: row.params as Record<string, unknown>,
    deadline: row.deadline.toISOString(),
  };
}

// The agent side of commands: delivery, redelivery on reconnect, the agent's answers, and deadlines.
@Injectable()
export class CommandDispatchService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CommandDispatchService.name);
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;
  // Hosts connecting together have their open commands looked up in one query.
  private readonly open: Batcher<string, CommandRow[]>;
  // Agents' accepts and results arriving together are written in one statement each.
  private readonly accepts: Batcher<AcceptedCommand, Written>;
  private readonly results: Batcher<FinishedCommand, Written>;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: CommandRepository,
    private readonly connected: ConnectedHosts,
    private readonly notifier: CommandNotifier,
    private readonly uploads: UploadRepository,
    private readonly resultCap: ResultCapService,
  ) {
    this.open = new Batcher(
      async (hostIds) => {
        const rows = await this.repo.openForHosts(hostIds, this.clock.now());
        const byHost = new Map<string, CommandRow[]>();
        for (const row of rows) byHost.set(row.hostId, [...(byHost.get(row.hostId) ?? []), row]);
        return hostIds.map((id) => byHost.get(id) ?? []);
      },
      { maxBatch: 500, concurrency: 2 },
    );
    const byId = { maxBatch: 500, concurrency: 2, keyOf: (item: { id: string }) => item.id };
    this.accepts = new Batcher<AcceptedCommand, Written>(
      (items) => this.oneByOneOnError(items, (b) => repo.acceptMany(TRANSITIONS.accept, b)),
      byId,
    );
    this.results = new Batcher<FinishedCommand, Written>(
      (items) => this.oneByOneOnError(items, (b) => repo.finishMany(TRANSITIONS.finish, b)),
      byId,
    );
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: Error) => this.logger.warn(`command deadline sweep failed: ${err.message}`));
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  isConnected(hostId: string): boolean {
    return this.connected.get(hostId) !== undefined;
  }

  // Sends a new command when its host is connected; otherwise it waits for the host's next hello.
  // One written as sent already (its host was connected then) needs only its frame.
  async dispatch(row: CommandRow): Promise<CommandRow> {
    const session = this.connected.get(row.hostId);
    if (!session) return row;
    if (row.status === 'sent') {
      session.send(commandFrame(row));
      return row;
    }
    return (await this.send(session, row)) ?? row;
  }

  // After welcome: every pending command goes out, and every sent or running one again, since the
  // agent journals ids and answers a repeat from its journal. One with a cancel asked for only gets
  // the cancel: if the agent never saw it, it never runs, and the sweeper ends it at its deadline.
  async agentConnected(session: AgentSession): Promise<void> {
    const hostId = session.hostId!;
    const open = await this.open.submit(hostId);
    for (const row of open) {
      if (row.cancelRequestedAt) {
        session.send({ type: 'command.cancel', id: row.id });
      } else if (row.status === 'pending') {
        await this.send(session, row);
      } else {
        session.send(commandFrame(row));
      }
    }
    if (open.length > 0) this.logger.log(`delivered ${open.length} open command(s) to ${session.label}`);
  }

  async accepted(session: AgentSession, id: string): Promise<void> {
    const row = unwrap(await this.accepts.submit({ id, hostId: session.hostId!, at: this.clock.now() }));
    if (row) this.notifier.transitioned(row);
  }

  async output(session: AgentSession, id: string, stream: 'stdout' | 'stderr', raw: string): Promise<void> {
    // Binary output may carry NUL, which Postgres text cannot hold (results drop it the same way).
    const chunk = (raw.includes('\u0000') ? raw.replaceAll('\u0000', '') : raw).slice(0, OUTPUT_CAP_CHARS);
    if (await this.repo.appendOutput(id, session.hostId!, chunk, OUTPUT_CAP_CHARS)) {
      this.notifier.output(id, session.hostId!, stream, chunk);
    }
  }

  async result(session: AgentSession, message: CommandResultMessage): Promise<void> {
    // Kept only up to the command's own maxOutputBytes and CORRAL_MAX_RESULT_BYTES, marked when cut.
    const { result, error } = await this.resultCap.cap(message.id, session.hostId!, message.result, message.error);
    const row = unwrap(
      await this.results.submit({
        id: message.id,
        hostId: session.hostId!,
        status: statusOfResult(message.ok, message.error),
        result: (result as Prisma.InputJsonObject | null) ?? null,
        error: error ?? null,
        at: this.clock.now(),
      }),
    );
    if (!row) {
      // Already final (timed out, canceled) or not this host's: the first word stands.
      this.logger.debug(`ignored result for command ${message.id} from ${session.label}`);
      return;
    }
    this.finished(row);
  }

  // Ends open commands past their deadline and tells the agent to stop any it holds.
  async sweep(): Promise<CommandRow[]> {
    if (this.sweeping) return [];
    this.sweeping = true;
    try {
      const expired = await this.repo.expire(this.clock.now(), expiryOutcome(false).error, expiryOutcome(true).error);
      for (const { row, previousStatus } of expired) {
        if (previousStatus !== 'pending') this.connected.get(row.hostId)?.send({ type: 'command.cancel', id: row.id });
        this.finished(row);
      }
      return expired.map((e) => e.row);
    } finally {
      this.sweeping = false;
    }
  }

  // A cancel for a command the agent holds: the agent's result, or the deadline, ends it.
  sendCancel(row: CommandRow): void {
    this.connected.get(row.hostId)?.send({ type: 'command.cancel', id: row.id });
  }

  finished(row: CommandRow): void {
    this.notifier.transitioned(row);
    if (isFinal(row.status) && row.op === 'image.import') {
      const uploadId = (row.params as { uploadId?: string }).uploadId;
      if (uploadId) {
        this.uploads.remove(uploadId).catch((err: Error) => {
          this.logger.warn(`could not remove upload ${uploadId}: ${err.message}`);
        });
      }
    }
  }

  // Each item's changed row or null, by id. A batch the database refuses is written again one item
  // at a time, so one agent's bad data costs only that agent its frame.
  private async oneByOneOnError<I extends { id: string }>(
    items: I[],
    write: (batch: I[]) => Promise<CommandRow[]>,
  ): Promise<Written[]> {
    let rows: CommandRow[];
    try {
      rows = await write(items);
    } catch (err) {
      if (items.length === 1) throw err;
      return Promise.all(
        items.map((item) =>
          write([item]).then(
            (one) => one[0] ?? null,
            (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
          ),
        ),
      );
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    return items.map((item) => byId.get(item.id) ?? null);
  }

  // Marks the command sent before the frame leaves, so an accepted that comes back at once finds it sent.
  private async send(session: AgentSession, row: CommandRow): Promise<CommandRow | null> {
    const sent = await this.repo.transition(row.id, TRANSITIONS.send, { status: 'sent', sentAt: this.clock.now() });
    if (!sent) return null;
    session.send(commandFrame(sent));
    this.notifier.transitioned(sent);
    return sent;
  }
}
