import type { CommandResultMessage } from '@corral/protocol';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import type { NewAuditEntry } from '../repositories/audit.repository.js';
import type { Clock } from '../repositories/clock.repository.js';
import {
  type AcceptedCommand,
  type CommandDb,
  CommandRepository,
  type CommandRow,
  type FinishedCommand,
  type InsertNote,
  type NewCommand,
} from '../repositories/command.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { UploadRepository } from '../repositories/upload.repository.js';
import { Batcher } from './batcher.js';
import { CommandNotifier } from './command-notifier.js';
import {
  CANCELED_PENDING_ERROR,
  EXPIRED_AFTER_CANCEL_ERROR,
  EXPIRED_ERROR,
  isFinal,
  statusOfResult,
  TRANSITIONS,
} from './command-states.js';
import { ImageOriginService } from './image-origin.service.js';
import { ResultCapService } from './result-cap.js';

// Streamed output kept per command; the final result carries all of it anyway.
export const OUTPUT_CAP_CHARS = 64 * 1024;

// What a batched write gives each item: its changed row, null when nothing changed, or why it failed.
type Written = CommandRow | null | Error;

// A command the deadline sweeper ended, with the status it had before.
export interface Expired {
  row: CommandRow;
  previousStatus: CommandRow['status'];
}

// The one writer of a command's status. Every transition of the table in command-states.ts goes
// through here: the conditional write, then the announcement (event and woken waiters), then what
// an end needs (the upload it carried goes; images it made get their origin). What an agent sends is kept only within the command's
// own limits (result-cap.ts) before it is written.
@Injectable()
export class CommandLifecycle {
  private readonly logger = new Logger(CommandLifecycle.name);
  // Agents' accepts and results arriving together are written in one statement each.
  private readonly accepts: Batcher<AcceptedCommand, Written>;
  private readonly results: Batcher<FinishedCommand, Written>;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: CommandRepository,
    private readonly notifier: CommandNotifier,
    private readonly uploads: UploadRepository,
    private readonly resultCap: ResultCapService,
    private readonly origins: ImageOriginService,
  ) {
    const byId = { maxBatch: 500, concurrency: 2, keyOf: (item: { id: string }) => item.id };
    this.accepts = new Batcher<AcceptedCommand, Written>(
      (items) => oneByOneOnError(items, (b) => repo.acceptMany(TRANSITIONS.accept.from, b)),
      byId,
    );
    this.results = new Batcher<FinishedCommand, Written>(
      (items) => oneByOneOnError(items, (b) => repo.finishMany(TRANSITIONS.finish.from, b)),
      byId,
    );
  }

  // The one way a command comes to be: pending, or sent when its frame goes out right after. In a
  // caller's transaction (`db`) nothing is announced: call announce() once it has committed.
  // `note`, when given, leaves with the insert's commit (a command sent through another replica).
  async create(
    command: Omit<NewCommand, 'status' | 'sentAt'>,
    sendNow: boolean,
    db?: CommandDb,
    note?: InsertNote,
    audit?: (id: string) => NewAuditEntry,
  ): Promise<CommandRow> {
    const row = await this.repo.insert(
      { ...command, status: sendNow ? 'sent' : 'pending', sentAt: sendNow ? command.createdAt : null },
      db,
      note,
      audit,
    );
    if (!db) this.notifier.transitioned(row);
    return row;
  }

  announce(row: CommandRow): void {
    this.notifier.transitioned(row);
  }

  // pending -> sent, just before its frame is written to the socket. Null when it was not pending.
  async send(row: Pick<CommandRow, 'id'> & Partial<Pick<CommandRow, 'hostId'>>): Promise<CommandRow | null> {
    const sent = await this.repo.markSent(row.id, TRANSITIONS.send.from, this.clock.now(), row.hostId);
    if (sent) this.notifier.transitioned(sent);
    return sent;
  }

  async accepted(hostId: string, id: string): Promise<void> {
    const row = unwrap(await this.accepts.submit({ id, hostId, at: this.clock.now() }));
    if (row) this.notifier.transitioned(row);
  }

  // The agent's result, capped at the command's maxOutputBytes and CORRAL_MAX_RESULT_BYTES (marked
  // when cut); false when the command had already ended (or is not this host's).
  async finished(hostId: string, message: CommandResultMessage): Promise<boolean> {
    const { result, error } = await this.resultCap.cap(message.id, hostId, message.result, message.error);
    const row = unwrap(
      await this.results.submit({
        id: message.id,
        hostId,
        status: statusOfResult(message.ok, message.error),
        result: (result as Prisma.InputJsonObject | null) ?? null,
        error: error ?? null,
        at: this.clock.now(),
      }),
    );
    if (!row) return false;
    // Ops that make images (their registry entry names an origin) record where those came from
    // before anyone waiting sees the command end.
    if (row.status === 'succeeded' && this.origins.records(row.op)) {
      await this.origins.recordCommand(row).catch((err: Error) => {
        this.logger.warn({
          msg: `could not record the origin of the images of command ${row.id}: ${err.message}`,
          commandId: row.id,
          hostId: row.hostId,
        });
      });
    }
    this.ended(row);
    return true;
  }

  // Ends every open command past its deadline: timed_out, or canceled when a cancel was asked for.
  async expire(): Promise<Expired[]> {
    const expired = await this.repo.expire(
      TRANSITIONS.expire.from,
      this.clock.now(),
      EXPIRED_ERROR,
      EXPIRED_AFTER_CANCEL_ERROR,
    );
    for (const { row } of expired) this.ended(row);
    return expired;
  }

  // pending -> canceled at once. Null when it was no longer pending.
  async cancel(id: string): Promise<CommandRow | null> {
    const row = await this.repo.cancel(id, TRANSITIONS.cancel.from, this.clock.now(), CANCELED_PENDING_ERROR);
    if (row) this.ended(row);
    return row;
  }

  // A cancel asked of the agent that holds it: noted, and the deadline brought to `graceEnd` at
  // the latest. Null when it was no longer sent or running.
  async requestCancel(row: CommandRow, graceEnd: Date): Promise<CommandRow | null> {
    return this.repo.transition(row.id, TRANSITIONS.requestCancel.from, {
      cancelRequestedAt: this.clock.now(),
      deadline: row.deadline < graceEnd ? row.deadline : graceEnd,
    });
  }

  // Output streamed by the agent, kept (capped) while the command is open and announced.
  async output(hostId: string, id: string, stream: 'stdout' | 'stderr', raw: string): Promise<void> {
    // Binary output may carry NUL, which Postgres text cannot hold (results drop it the same way).
    // One chunk is announced at most at the cap too, whatever size the agent sent.
    const chunk = (raw.includes('\u0000') ? raw.replaceAll('\u0000', '') : raw).slice(0, OUTPUT_CAP_CHARS);
    if (await this.repo.appendOutput(TRANSITIONS.output.from, id, hostId, chunk, OUTPUT_CAP_CHARS)) {
      this.notifier.output(id, hostId, stream, chunk);
    }
  }

  private ended(row: CommandRow): void {
    this.notifier.transitioned(row);
    this.logger.debug({
      msg: `command ${row.id} (${row.op}) ${row.status}`,
      commandId: row.id,
      hostId: row.hostId,
      op: row.op,
      status: row.status,
    });
    const uploadId = (row.params as { uploadId?: unknown }).uploadId;
    if (isFinal(row.status) && typeof uploadId === 'string') {
      this.uploads.remove(uploadId).catch((err: Error) => {
        this.logger.warn({
          msg: `could not remove upload ${uploadId}: ${err.message}`,
          commandId: row.id,
          hostId: row.hostId,
        });
      });
    }
  }
}

function unwrap(written: Written): CommandRow | null {
  if (written instanceof Error) throw written;
  return written;
}

// Each item's changed row or null, by id. A batch the database refuses is written again one item
// at a time, so one agent's bad data costs only that agent its frame.
async function oneByOneOnError<I extends { id: string }>(
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
