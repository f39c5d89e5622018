import { Injectable } from '@nestjs/common';
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

// Publishes command transitions on the event bus and wakes requests waiting (?wait=) for a command to end.
@Injectable()
export class CommandNotifier {
  private readonly waiters = new Map<string, Set<(row: CommandRow | null) => void>>();

  constructor(
    private readonly bus: EventBus,
    private readonly metrics: MetricsService,
  ) {}

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
    if (final) this.wake(row.id, row);
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

  private wake(id: string, row: CommandRow): void {
    for (const wake of this.waiters.get(id) ?? []) wake(row);
  }
}
