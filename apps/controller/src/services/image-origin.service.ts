import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ImageOriginRepository } from '../repositories/image-origin.repository.js';
import { Batcher } from './batcher.js';
import { EventBus } from './event-bus.js';
import { type FinishedImageCommand, originKindOf, originsOfCommand } from './image-origin.mapper.js';

interface Seen {
  hostId: string;
  engineId: string;
  at: Date;
}

// Where each image on each host came from. Commands that make images record theirs when they
// succeed (CommandLifecycle.finished); images that appear otherwise are recorded `unknown` when
// first seen (their image-added event), which never replaces a known origin.
@Injectable()
export class ImageOriginService implements OnModuleDestroy {
  private readonly logger = new Logger(ImageOriginService.name);
  private readonly unknown: Batcher<Seen, void>;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly repo: ImageOriginRepository,
    bus: EventBus,
  ) {
    this.unknown = new Batcher<Seen, void>(
      async (items) => {
        await repo.recordUnknown(items);
        return items.map(() => undefined);
      },
      { maxBatch: 1000, concurrency: 1 },
    );
    this.unsubscribe = bus.subscribe((event) => {
      if (event.type !== 'image-added' || !event.hostId || typeof event.data.key !== 'string') return;
      const seen = { hostId: event.hostId, engineId: event.data.key, at: new Date(event.at) };
      this.unknown.submit(seen).catch((err: Error) => {
        this.logger.warn(`could not record the first sighting of image ${seen.engineId}: ${err.message}`);
      });
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  // True when a successful `op` records origins: the lifecycle asks before it waits on this.
  records(op: string): boolean {
    return originKindOf(op) !== null;
  }

  // Records the origins a succeeded command leaves; a copy reads its source's origin first.
  async recordCommand(command: FinishedImageCommand): Promise<void> {
    const params = (command.params ?? {}) as { fromHostId?: unknown; fromImage?: unknown };
    let source = null;
    if (originKindOf(command.op) === 'copied' && typeof params.fromHostId === 'string') {
      const origin =
        typeof params.fromImage === 'string' ? await this.repo.find(params.fromHostId, params.fromImage) : null;
      source = { hostname: await this.repo.hostname(params.fromHostId), origin };
    }
    await this.repo.record(originsOfCommand(command, source));
  }
}
