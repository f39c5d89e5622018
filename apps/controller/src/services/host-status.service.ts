import { HOST_STATUS } from '@corral/protocol';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LeaderLease } from '../cluster/leader-lease.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../repositories/clock.repository.js';
import { HostRepository } from '../repositories/host.repository.js';
import { CLOCK, CONFIG } from '../repositories/tokens.js';
import { ConnectedHosts } from './connected-hosts.js';
import { EventBus } from './event-bus.js';

// Marks hosts offline once they have had no live agent connection for the grace period. Every
// replica keeps the hosts it holds fresh (lastSeenAt); only the replica holding the sweepers' lease
// marks the stale ones offline, so a host held by another replica is never taken for gone.
@Injectable()
export class HostStatusService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(HostStatusService.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly hosts: HostRepository,
    private readonly connected: ConnectedHosts,
    private readonly events: EventBus,
    private readonly lease: LeaderLease,
  ) {}

  onModuleInit(): void {
    const every = Math.max(100, Math.min(5_000, Math.floor(this.config.offlineGraceMs / 4)));
    this.timer = setInterval(() => {
      this.sweep().catch((err: Error) => this.logger.warn(`offline sweep failed: ${err.message}`));
    }, every);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async sweep(): Promise<string[]> {
    if (this.running) return [];
    this.running = true;
    try {
      const now = this.clock.now();
      const connected = this.connected.hostIds();
      await this.hosts.touch(connected, now, new Date(now.getTime() - this.config.offlineGraceMs / 2));
      if (!this.lease.holds()) return [];
      const cutoff = new Date(now.getTime() - this.config.offlineGraceMs);
      const gone = await this.hosts.markOffline(cutoff, connected, now);
      for (const host of gone) {
        this.logger.warn(`host ${host.hostname} (${host.id}) is offline`);
        this.events.publish({
          type: 'host-offline',
          kind: 'host',
          hostId: host.id,
          data: { id: host.id, name: host.hostname, state: HOST_STATUS.offline, previousState: HOST_STATUS.online },
        });
      }
      return gone.map((h) => h.id);
    } finally {
      this.running = false;
    }
  }
}
