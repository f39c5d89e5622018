import { Injectable } from '@nestjs/common';
import { CHANNEL, ClusterChannel, packNotes } from '../cluster/cluster-channel.js';
import type { CommandRow } from '../repositories/command.repository.js';
import { toCommandSummaryDto } from './command-response.mapper.js';
import { isFinal } from './command-states.js';
import { EventBus } from './event-bus.js';
import { MetricsService } from './metrics.service.js';

// A wait for one command to end: `ended` resolves with the row as the final transition returned
// it, or with null once the time is up. stop() when done waiting, whichever way it went.
export interface CommandWatch {
  ended: Promise<CommandRow | null>;
  stop(): void;
}

// Ids of ended commands per note on the commands channel (a notification holds at most 8,000 bytes).
const FINAL_IDS_PER_NOTE = 150;
// A final note's payload at most, and an ended row's JSON at most for it to go in the note: a
// replica waiting for that command answers from the note instead of reading the row.
const FINAL_NOTE_MAX_BYTES = 7_500;
const ROW_IN_NOTE_MAX_BYTES = 3_000;

// Every final note starts so (finalNotes writes them): other notes are passed over unparsed.
export const FINAL_NOTE_START = '{"a":"final"';

const ROW_DATES = ['createdAt', 'sentAt', 'startedAt', 'finishedAt', 'cancelRequestedAt', 'deadline'] as const;

// An ended command as a final note carries it: the row with its dates as ISO text.
function reviveRow(value: unknown): CommandRow | null {
  if (typeof value !== 'object' || value === null) return null;
  const row = { ...(value as Record<string, unknown>) };
  if (typeof row.id !== 'string' || typeof row.status !== 'string' || !isFinal(row.status as CommandRow['status'])) {
    return null;
  }
  for (const key of ROW_DATES) {
    const at = row[key];
    if (at === null || at === undefined) row[key] = null;
    else if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) row[key] = new Date(at);
    else return null;
  }
  if (!(row.createdAt instanceof Date) || !(row.deadline instanceof Date)) return null;
  return row as unknown as CommandRow;
}

// The ids of the commands a final note announces (by id or whole); none for anything else.
export function endedIdsOf(payload: string): string[] {
  let note: { a?: unknown; ids?: unknown; rows?: unknown };
  try {
    note = JSON.parse(payload);
  } catch {
    return [];
  }
  if (note?.a !== 'final') return [];
  const ids = Array.isArray(note.ids) ? note.ids.filter((id): id is string => typeof id === 'string') : [];
  const rows = Array.isArray(note.rows) ? note.rows : [];
  for (const row of rows) {
    const id = (row as { id?: unknown } | null)?.id;
    if (typeof id === 'string') ids.push(id);
  }
  return ids;
}

// Final notes for these ended commands, in order: each row whose JSON is small enough goes whole
// (`rows`), the others by id (`ids`), at most FINAL_IDS_PER_NOTE commands and FINAL_NOTE_MAX_BYTES a note.
export function finalNotes(ended: readonly CommandRow[]): string[] {
  type Part = { kind: 'row'; json: string } | { kind: 'id'; id: string };
  const parts = ended.map((row): Part => {
    const json = JSON.stringify(row);
    return Buffer.byteLength(json) <= ROW_IN_NOTE_MAX_BYTES ? { kind: 'row', json } : { kind: 'id', id: row.id };
  });
  return packNotes(
    parts,
    (part) => (part.kind === 'row' ? Buffer.byteLength(part.json) + 1 : part.id.length + 3),
    (note) => {
      const ids = note.flatMap((part) => (part.kind === 'id' ? [part.id] : []));
      const rows = note.flatMap((part) => (part.kind === 'row' ? [part.json] : []));
      return `{"a":"final","ids":${JSON.stringify(ids)},"rows":[${rows.join(',')}]}`;
    },
    { maxBytes: FINAL_NOTE_MAX_BYTES - 40, maxParts: FINAL_IDS_PER_NOTE },
  );
}

// Publishes command transitions on the event bus and wakes requests waiting (?wait=) for a command
// to end, on this replica at once and on the others through the commands channel: the ids of
// commands that ended are announced together (a note per tick), and a replica with waiters for one
// of them wakes them to read the command.
@Injectable()
export class CommandNotifier {
  private readonly waiters = new Map<string, Set<(row: CommandRow | null) => void>>();
  private ended: CommandRow[] = [];
  private flushing = false;

  constructor(
    private readonly bus: EventBus,
    private readonly channel: ClusterChannel,
    private readonly metrics: MetricsService,
  ) {
    channel.listen(CHANNEL.commands, (payload) => this.noted(payload));
  }

  // Every status a command reaches passes here once (CommandLifecycle's writes and announce()).
  transitioned(row: CommandRow): void {
    const final = isFinal(row.status);
    const took = final && row.finishedAt ? (row.finishedAt.getTime() - row.createdAt.getTime()) / 1000 : null;
    this.metrics.commandTransitioned(row.op, row.status, took);
    this.bus.publish({
      type: `command-${row.status}`,
      kind: 'command',
      hostId: row.hostId,
      data: toCommandSummaryDto(row),
    });
    if (final) {
      this.wake(row.id, row);
      this.announceEnd(row);
    }
  }

  private announceEnd(row: CommandRow): void {
    // Waiters here were woken already; alone, there are no others.
    if (this.channel.alone()) return;
    this.ended.push(row);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      const ended = this.ended;
      this.ended = [];
      this.flushing = false;
      for (const note of finalNotes(ended)) void this.channel.notify(CHANNEL.commands, note);
    });
  }

  // Commands that ended on another replica: waiters here take the row the note carries, or read it.
  private noted(payload: string): void {
    if (this.waiters.size === 0 || !payload.startsWith(FINAL_NOTE_START)) return;
    let note: { a?: string; ids?: unknown; rows?: unknown };
    try {
      note = JSON.parse(payload);
    } catch {
      return;
    }
    if (note.a !== 'final') return;
    if (Array.isArray(note.ids)) for (const id of note.ids) if (typeof id === 'string') this.wake(id, null);
    if (Array.isArray(note.rows)) {
      for (const value of note.rows) {
        const id = (value as { id?: unknown } | null)?.id;
        if (typeof id !== 'string' || !this.waiters.has(id)) continue;
        this.wake(id, reviveRow(value));
      }
    }
  }

  output(id: string, hostId: string, stream: 'stdout' | 'stderr', chunk: string): void {
    this.bus.publish({ type: 'command-output', kind: 'command', hostId, data: { id, stream, chunk } });
  }

  // Starts waiting for the command to end. Whoever writes the command and watches it before
  // sending it needs no read: it cannot end before the watch began.
  watch(id: string, ms: number): CommandWatch {
    let wake!: (row: CommandRow | null) => void;
    const ended = new Promise<CommandRow | null>((resolve) => {
      wake = resolve;
    });
    const set = this.waiters.get(id) ?? new Set();
    set.add(wake);
    this.waiters.set(id, set);
    const timer = setTimeout(() => wake(null), ms);
    return {
      ended,
      stop: () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
      },
    };
  }

  // Reads the command, and waits for it to end if it has not, at most `ms`; a command still open
  // then is read again. The watch begins before the first read, so an end between the two is not missed.
  async waitUntilFinal(id: string, ms: number, read: () => Promise<CommandRow | null>): Promise<CommandRow | null> {
    const watch = this.watch(id, ms);
    try {
      const row = await read();
      if (!row || isFinal(row.status) || ms <= 0) return row;
      return (await watch.ended) ?? (await read());
    } finally {
      watch.stop();
    }
  }

  private wake(id: string, row: CommandRow | null): void {
    for (const wake of this.waiters.get(id) ?? []) wake(row);
  }
}
