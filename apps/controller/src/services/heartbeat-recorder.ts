import type { LoadReport } from '@corral/protocol';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { HeartbeatRepository } from '../repositories/heartbeat.repository.js';
import { CONFIG } from '../repositories/tokens.js';

// Heartbeats are written in batches: the latest load and time per host are kept here and written
// every few seconds in one UPDATE, instead of one statement per heartbeat (1,000/s at 10,000 hosts).
@Injectable()
export class HeartbeatRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(HeartbeatRecorder.name);
  private latest = new Map<string, { load: LoadReport; at: Date }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly repo: HeartbeatRepository,
  ) {}

  onModuleInit(): void {
    const every = Math.max(50, Math.min(2_000, this.config.heartbeatIntervalMs));
    this.timer = setInterval(() => void this.flush(), every);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  record(hostId: string, load: LoadReport, at: Date): void {
    this.latest.set(hostId, { load, at });
  }

  // Writes what was recorded since the last flush; one flush at a time.
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.latest.size === 0) return;
    const batch = this.latest;
    this.latest = new Map();
    this.flushing = this.repo
      .record(batch)
      .catch((err: Error) => {
        this.logger.warn(`could not record ${batch.size} heartbeats: ${err.message}`);
        // Keep them for the next flush unless a newer heartbeat of the host arrived meanwhile.
        for (const [id, v] of batch) if (!this.latest.has(id)) this.latest.set(id, v);
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }
}
