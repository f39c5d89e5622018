import { Injectable } from '@nestjs/common';
import type { CommandRow } from '../repositories/command.repository.js';
import { type NewPlacement, PlacementRepository, type PlacementRow } from '../repositories/placement.repository.js';
import { Batcher } from './batcher.js';
import { type CommandPlan, CommandService } from './command.service.js';

export interface PlacementWrite {
  placement: Omit<NewPlacement, 'commandIds'>;
  commands: CommandPlan[];
}

export interface PlacementWritten {
  row: PlacementRow;
  commands: CommandRow[];
}

// Writes decided placements: each one's Placement row and its container.create commands, pending.
// Placements decided while a write is in flight go together in the next transaction (one INSERT of
// commands, one of Placement rows), like group commit; if it fails, each placement of it fails.
@Injectable()
export class PlacementWriter {
  private readonly batcher = new Batcher<PlacementWrite, PlacementWritten>((items) => this.write(items), {
    maxBatch: 64,
    concurrency: 2,
  });

  constructor(
    private readonly placements: PlacementRepository,
    private readonly commands: CommandService,
  ) {}

  submit(item: PlacementWrite): Promise<PlacementWritten> {
    return this.batcher.submit(item);
  }

  private async write(items: PlacementWrite[]): Promise<PlacementWritten[]> {
    const { written, rows } = await this.placements.recordMany(
      async (tx) => {
        const all = await this.commands.insertManyWithin(
          tx,
          items.flatMap((i) => i.commands),
        );
        let at = 0;
        return items.map((i) => {
          const mine = all.slice(at, at + i.commands.length);
          at += i.commands.length;
          return mine;
        });
      },
      (perItem) => items.map((i, n) => ({ ...i.placement, commandIds: perItem[n]!.map((c) => c.id) })),
    );
    return items.map((_, n) => ({ row: rows[n]!, commands: written[n]! }));
  }
}
