import { Injectable } from '@nestjs/common';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { CheapHistogram } from './metrics-histogram.js';

// The controller's Prometheus metrics, in one place. The hottest paths (frames, event deliveries,
// pool checkouts) add to plain numbers that the scrape reads, since prom-client hashes the labels
// of every inc() and observe(), bound children too; commands and batches, far rarer, use a cached
// child per label set. What is cheap to read at scrape time (connected agents, open streams, the
// pool, open commands) is read then through a registered source.

export const METRICS_PREFIX = 'corral_';

type Source<T> = () => T;

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

// Where the scrape reads what it does not count itself.
export interface MetricSources {
  agentsConnected: Source<number>;
  sseClients: Source<number>;
  pool: Source<PoolStats>;
  openCommands: Source<Promise<Record<string, number>>>;
}

const SECONDS_FAST = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SECONDS_SLOW = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

const OPEN_COMMANDS_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly sources: Partial<MetricSources> = {};

  // Plain numbers on the frame path, handed to the counter at scrape time.
  private readonly frameCounts = new Map<string, { n: number }>();
  private readonly invalidFrames = { n: 0 };
  private readonly binaryFrames = { n: 0 };

  private readonly ingestBatch = new Histogram({
    name: `${METRICS_PREFIX}ingest_batch_seconds`,
    help: 'Time to apply one group-commit batch of snapshots and deltas (transaction, retries included)',
    labelNames: ['outcome'] as const,
    buckets: SECONDS_FAST,
    registers: [this.registry],
  });
  // ok; split: refused as a whole, then applied frame by frame; failed: every frame of it failed.
  private readonly ingestOutcome = {
    ok: this.ingestBatch.labels('ok'),
    split: this.ingestBatch.labels('split'),
    failed: this.ingestBatch.labels('failed'),
  };
  private readonly ingestFrames = new Histogram({
    name: `${METRICS_PREFIX}ingest_batch_frames`,
    help: 'Frames applied in one group-commit batch',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [this.registry],
  });

  private readonly transitions = new Counter({
    name: `${METRICS_PREFIX}command_transitions_total`,
    help: 'Command status changes made by this controller (creation included), by the status reached and op',
    labelNames: ['status', 'op'] as const,
    registers: [this.registry],
  });
  private readonly commandLatency = new Histogram({
    name: `${METRICS_PREFIX}command_duration_seconds`,
    help: 'Time from a command being created to its final status, by op and final status',
    labelNames: ['op', 'status'] as const,
    buckets: SECONDS_SLOW,
    registers: [this.registry],
  });
  private readonly byOpStatus = new Map<
    string,
    { transitions: Counter.Internal; latency: Histogram.Internal<'op' | 'status'> }
  >();

  private readonly placements = new Counter({
    name: `${METRICS_PREFIX}placements_total`,
    help:
      'Placement requests this replica answered, by outcome (placed, partial, rejected, dry_run, error) and by ' +
      'where they were decided (here, or by the lease holder they were passed to)',
    labelNames: ['outcome', 'decided'] as const,
    registers: [this.registry],
  });
  private readonly placementTime = new Histogram({
    name: `${METRICS_PREFIX}placement_duration_seconds`,
    help: 'Time from a placement request being validated to its answer (decision, write, and any wait for the lease holder)',
    labelNames: ['decided'] as const,
    buckets: SECONDS_FAST,
    registers: [this.registry],
  });

  private readonly byPlacement = new Map<string, { count: Counter.Internal; time: Histogram.Internal<'decided'> }>();

  private readonly eventLag = new CheapHistogram(
    `${METRICS_PREFIX}event_delivery_lag_seconds`,
    "Time from an event's `at` to its being written to an SSE client (live events, not replays)",
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  private readonly poolWait = new CheapHistogram(
    `${METRICS_PREFIX}db_pool_wait_seconds`,
    'Time waiting for a connection of the ingest/query pool (pg Pool.connect)',
    [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  );
  private readonly replica = new Gauge({
    name: `${METRICS_PREFIX}replica_info`,
    help: 'Always 1; names this controller replica (CORRAL_REPLICA_ID, else hostname-pid-random)',
    labelNames: ['replica'] as const,
    registers: [this.registry],
  });
  private readonly leader = new Gauge({
    name: `${METRICS_PREFIX}leader`,
    help: 'Whether this replica runs the job (1) or another one holds its lease (0)',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });
    this.registry.registerMetric(this.eventLag as never);
    this.registry.registerMetric(this.poolWait as never);
    const { frameCounts, invalidFrames, binaryFrames } = this;
    new Counter({
      name: `${METRICS_PREFIX}agent_frames_received_total`,
      help: 'Frames received from agents, by message type ("invalid" for frames that failed validation, "binary" for stream data)',
      labelNames: ['type'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [type, count] of frameCounts) this.inc({ type }, count.n);
        this.inc({ type: 'invalid' }, invalidFrames.n);
        this.inc({ type: 'binary' }, binaryFrames.n);
      },
    });
    const sources = this.sources;
    new Gauge({
      name: `${METRICS_PREFIX}agents_connected`,
      help: 'Agent WebSocket connections open on this controller',
      registers: [this.registry],
      collect() {
        this.set(sources.agentsConnected?.() ?? 0);
      },
    });
    new Gauge({
      name: `${METRICS_PREFIX}sse_clients`,
      help: 'Event streams (/api/v1/events) open on this controller',
      registers: [this.registry],
      collect() {
        this.set(sources.sseClients?.() ?? 0);
      },
    });
    const poolGauge = (name: string, help: string, read: (s: PoolStats) => number) =>
      new Gauge({
        name: `${METRICS_PREFIX}db_pool_${name}`,
        help,
        registers: [this.registry],
        collect() {
          const stats = sources.pool?.();
          this.set(stats ? read(stats) : 0);
        },
      });
    poolGauge('waiting', 'Requests waiting for a connection of the pg pool right now', (s) => s.waiting);
    poolGauge('connections', 'Connections the pg pool holds (idle and checked out)', (s) => s.total);
    poolGauge('idle', 'Idle connections of the pg pool', (s) => s.idle);
    new Gauge({
      name: `${METRICS_PREFIX}commands_open`,
      help: 'Commands not yet final in the database (all replicas), by status; read at scrape time',
      labelNames: ['status'] as const,
      registers: [this.registry],
      // A database that does not answer leaves this one out of the scrape, not the whole scrape failing.
      async collect() {
        this.reset();
        const none: Record<string, number> = {};
        const counts = await withTimeout(
          sources.openCommands?.() ?? Promise.resolve(none),
          OPEN_COMMANDS_TIMEOUT_MS,
        ).catch(() => none);
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
  }

  source<K extends keyof MetricSources>(name: K, read: MetricSources[K]): void {
    this.sources[name] = read;
  }

  frameReceived(type: string): void {
    const count = this.frameCounts.get(type);
    if (count) count.n++;
    else this.frameCounts.set(type, { n: 1 });
  }

  invalidFrameReceived(): void {
    this.invalidFrames.n++;
  }

  binaryFrameReceived(): void {
    this.binaryFrames.n++;
  }

  ingestBatchApplied(seconds: number, frames: number, outcome: 'ok' | 'split' | 'failed'): void {
    this.ingestOutcome[outcome].observe(seconds);
    this.ingestFrames.observe(frames);
  }

  // Every status a command reaches; `finalSeconds` (created to final) when this one is final.
  commandTransitioned(op: string, status: string, finalSeconds: number | null): void {
    const key = `${op}\u0000${status}`;
    let children = this.byOpStatus.get(key);
    if (!children) {
      children = { transitions: this.transitions.labels(status, op), latency: this.commandLatency.labels(op, status) };
      this.byOpStatus.set(key, children);
    }
    children.transitions.inc();
    if (finalSeconds !== null) children.latency.observe(finalSeconds);
  }

  placementAnswered(decided: 'here' | 'holder', outcome: string, seconds: number): void {
    const key = `${decided}\u0000${outcome}`;
    let children = this.byPlacement.get(key);
    if (!children) {
      children = { count: this.placements.labels(outcome, decided), time: this.placementTime.labels(decided) };
      this.byPlacement.set(key, children);
    }
    children.count.inc();
    children.time.observe(seconds);
  }

  eventDelivered(lagSeconds: number): void {
    this.eventLag.observe(lagSeconds);
  }

  poolWaited(seconds: number): void {
    this.poolWait.observe(seconds);
  }

  setReplica(id: string): void {
    this.replica.reset();
    this.replica.set({ replica: id }, 1);
  }

  setLeader(job: string, isLeader: boolean): void {
    this.leader.set({ job }, isLeader ? 1 : 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
