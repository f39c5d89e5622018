import { Injectable } from '@nestjs/common';
import { CHANNEL, ClusterChannel } from '../cluster/cluster-channel.js';
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

// Publishes command transitions on the event bus and wakes requests waiting (?wait=) for a command
// to end, on this replica at once and on the others through the commands channel: the ids of
// commands that ended are announced together (a note per tick), and a replica with waiters for one
// of them wakes them to read the command.
@Injectable()
export class CommandNotifier {
  private readonly waiters = new Map<string, Set<(row: CommandRow | null) => void>>();
  private ended: string[] = [];
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
      this.announceEnd(row.id);
    }
  }

  private announceEnd(id: string): void {
    this.ended.push(id);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      const ids = this.ended;
      this.ended = [];
      this.flushing = false;
      for (let i = 0; i < ids.length; i += FINAL_IDS_PER_NOTE) {
        const note = { a: 'final', ids: ids.slice(i, i + FINAL_IDS_PER_NOTE) };
        void this.channel.notify(CHANNEL.commands, JSON.stringify(note));
      }
    });
  }

  // A command that ended on another replica: its waiters here read it again.
  private noted(payload: string): void {
    if (this.waiters.size === 0 || !payload.includes('"final"')) return;
    let note: { a?: string; ids?: unknown };
    try {
      note = JSON.parse(payload);
    } catch {
      return;
    }
    if (note.a !== 'final' || !Array.isArray(note.ids)) return;
    for (const id of note.ids) if (typeof id === 'string') this.wake(id, null);
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
