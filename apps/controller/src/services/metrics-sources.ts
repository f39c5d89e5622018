import { Injectable } from '@nestjs/common';
import { MetricsRepository } from '../repositories/metrics.repository.js';
import { ConnectedHosts } from './connected-hosts.js';
import { EventStreamService } from './event-stream.service.js';
import { MetricsService } from './metrics.service.js';

// Hands the scrape what it reads rather than counts: connections, streams, the pool, open commands.
@Injectable()
export class MetricsSources {
  constructor(
    metrics: MetricsService,
    repo: MetricsRepository,
    connected: ConnectedHosts,
    streams: EventStreamService,
  ) {
    metrics.source('agentsConnected', () => connected.connections());
    metrics.source('sseClients', () => streams.openStreams());
    metrics.source('pool', () => repo.poolStats());
    metrics.source('openCommands', () => repo.openCommandsByStatus());
    repo.timeCheckouts((seconds) => metrics.poolWaited(seconds));
  }
}
