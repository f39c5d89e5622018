import { Inject, Injectable } from '@nestjs/common';
import type { NewAuditEntry } from '../repositories/audit.repository.js';
import type { Clock } from '../repositories/clock.repository.js';
import type { CommandRow } from '../repositories/command.repository.js';
import { type NewPlacement, PlacementRepository, type PlacementRow } from '../repositories/placement.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { Batcher } from './batcher.js';
import { type CommandPlan, CommandService } from './command.service.js';

export interface PlacementWrite {
  placement: Omit<NewPlacement, 'commandIds' | 'createdAt'>;
  commands: CommandPlan[];
  // The request's audit entry, written with the placement (null: the caller records it).
  audit: NewAuditEntry | null;
}

export interface PlacementWritten {
  row: PlacementRow;
  commands: CommandRow[];
}

// Writes decided placements: each one's Placement row, its container.create commands (pending) and
// the audit entry of its request.
// Placements decided while a write is in flight go together in the next write, one statement for
// all their rows (atomic: no BEGIN/COMMIT round trips), like group commit; if it fails, each
// placement of it fails.
@Injectable()
export class PlacementWriter {
  private readonly batcher = new Batcher<PlacementWrite, PlacementWritten>((items) => this.write(items), {
    maxBatch: 64,
    concurrency: 2,
  });

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly placements: PlacementRepository,
    private readonly commands: CommandService,
  ) {}

  submit(item: PlacementWrite): Promise<PlacementWritten> {
    return this.batcher.submit(item);
  }

  private async write(items: PlacementWrite[]): Promise<PlacementWritten[]> {
    const createdAt = this.clock.now();
    const perItem = items.map((i) => this.commands.pendingRows(i.commands));
    const { commands, rows } = await this.placements.recordMany(
      perItem.flat(),
      items.map((i, n) => ({ ...i.placement, createdAt, commandIds: perItem[n]!.map((c) => c.id) })),
      items.flatMap((i) => (i.audit ? [i.audit] : [])),
    );
    let at = 0;
    return items.map((_, n) => {
      const mine = commands.slice(at, at + perItem[n]!.length);
      at += perItem[n]!.length;
      return { row: rows[n]!, commands: mine };
    });
  }
}
