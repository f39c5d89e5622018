import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LeaderLease } from '../cluster/leader-lease.js';
import { LEASE_JOB } from '../cluster/lease-keys.js';
import { ReplicaService } from '../cluster/replica.service.js';
import { MetricsRepository } from '../repositories/metrics.repository.js';
import { ConnectedHosts } from './connected-hosts.js';
import { EventStreamService } from './event-stream.service.js';
import { MetricsService } from './metrics.service.js';

// Hands the scrape what it reads rather than counts (connections, streams, the pool, open
// commands), and tells it this replica's id and whether it holds the sweepers' lease.
@Injectable()
export class MetricsSources implements OnModuleDestroy {
  private readonly unwatch: () => void;

  constructor(
    metrics: MetricsService,
    repo: MetricsRepository,
    connected: ConnectedHosts,
    streams: EventStreamService,
    replica: ReplicaService,
    lease: LeaderLease,
  ) {
    metrics.source('agentsConnected', () => connected.connections());
    metrics.source('sseClients', () => streams.openStreams());
    metrics.source('pool', () => repo.poolStats());
    metrics.source('openCommands', () => repo.openCommandsByStatus());
    repo.timeCheckouts((seconds) => metrics.poolWaited(seconds));
    metrics.setReplica(replica.id);
    this.unwatch = lease.watch((held) => metrics.setLeader(LEASE_JOB, held));
  }

  onModuleDestroy(): void {
    this.unwatch();
  }
}
