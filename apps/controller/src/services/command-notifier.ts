import { Injectable } from '@nestjs/common';
import type { CommandRow } from '../repositories/command.repository.js';
import { toCommandSummaryDto } from './command-response.mapper.js';
import { isFinal } from './command-rules.js';
import { EventBus } from './event-bus.js';

// Publishes command transitions on the event bus and wakes requests waiting (?wait=) for a command to end.
@Injectable()
export class CommandNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly bus: EventBus) {}

  transitioned(row: CommandRow): void {
    this.bus.publish({
      type: `command-${row.status}`,
      kind: 'command',
      hostId: row.hostId,
      data: toCommandSummaryDto(row),
    });
    if (isFinal(row.status)) this.wake(row.id);
  }

  output(id: string, hostId: string, stream: 'stdout' | 'stderr', chunk: string): void {
    this.bus.publish({ type: 'command-output', kind: 'command', hostId, data: { id, stream, chunk } });
  }

  // Reads the command, and again once it ends or `ms` pass, whichever is first. The waiter is
  // registered before the first read, so an end between the read and the wait is not missed.
  async waitUntilFinal(id: string, ms: number, read: () => Promise<CommandRow | null>): Promise<CommandRow | null> {
    let wake!: () => void;
    const woke = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const set = this.waiters.get(id) ?? new Set();
    set.add(wake);
    this.waiters.set(id, set);
    const timer = setTimeout(wake, ms);
    try {
      const row = await read();
      if (!row || isFinal(row.status) || ms <= 0) return row;
      await woke;
      return await read();
    } finally {
      clearTimeout(timer);
      set.delete(wake);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
    }
  }

  private wake(id: string): void {
    for (const wake of this.waiters.get(id) ?? []) wake();
  }
}
