import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { EventLogRepository } from '../repositories/event-log.repository.js';
import { CONFIG } from '../repositories/tokens.js';
import { LeaderLease } from './leader-lease.js';

export const RETENTION_MS = 10_000;
// Batches per DELETE: each statement is short, so no lock is held for long.
const DELETE_CHUNK = 500;

// Drops event batches older than CORRAL_EVENT_RETENTION_S or beyond the newest
// CORRAL_EVENT_RETENTION_EVENTS, on the replica holding the sweepers' lease only.
@Injectable()
export class EventRetention implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('EventLog');
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly repo: EventLogRepository,
    private readonly lease: LeaderLease,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: Error) => this.logger.warn(`event retention failed: ${err.message}`));
    }, RETENTION_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  // The batches deleted, or null when this replica does not hold the lease (or a sweep is running).
  async sweep(): Promise<number | null> {
    if (!this.lease.holds() || this.running) return null;
    this.running = true;
    try {
      const cut = await this.repo.retentionCut(this.config.eventRetentionS, this.config.eventRetentionEvents);
      if (cut === null) return 0;
      let deleted = 0;
      for (;;) {
        const n = await this.repo.deleteUpTo(cut, DELETE_CHUNK);
        deleted += n;
        if (n < DELETE_CHUNK || !this.lease.holds()) break;
      }
      if (deleted > 0) this.logger.debug(`event retention dropped ${deleted} batches up to ${cut}`);
      return deleted;
    } finally {
      this.running = false;
    }
  }
}
