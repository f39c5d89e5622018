import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { EventLog, LOST_EVENT_TYPE } from '../cluster/event-log.js';
import type { CorralEvent, EventKind } from './event-bus.js';
import { planResume, ReplayMerge } from './event-replay.js';
import { MetricsService } from './metrics.service.js';

export interface EventFilter {
  hostId?: string;
  kinds?: readonly EventKind[];
  types?: readonly string[];
}

export interface ResetNotice {
  reason: string;
  lastEventId: number;
  resumeFrom: number;
}

// Where a stream writes; `event` answers false once the client has fallen too far behind.
export interface EventSink {
  event(event: CorralEvent): boolean;
  reset(notice: ResetNotice): void;
  comment(text: string): void;
  end(): void;
  // While replaying: resolves once the client has read enough to take more (null: it can now).
  room?(): Promise<void> | null;
}

export const HEARTBEAT_MS = 15_000;
// Live events one resuming stream keeps while its replay is read; past it the stream is closed.
export const REPLAY_BUFFER_EVENTS = 100_000;

export function matches(filter: EventFilter, event: CorralEvent): boolean {
  if (filter.hostId && event.hostId !== filter.hostId) return false;
  if (filter.kinds && !filter.kinds.includes(event.kind)) return false;
  if (filter.types && !filter.types.includes(event.type)) return false;
  return true;
}

const lostReason = (event: CorralEvent) =>
  `replica ${String(event.data.replicaId)} could not write ${String(event.data.lost)} events to the database and ` +
  'dropped them; list the inventory again';

// Live event streams from the event log (every replica's events, durable ids): a replay of what a
// resuming client missed, read from the log (or a reset), then live events, with heartbeats.
@Injectable()
export class EventStreamService implements OnModuleDestroy {
  private readonly logger = new Logger(EventStreamService.name);
  private readonly open = new Set<() => void>();
  heartbeatMs = HEARTBEAT_MS;
  // Events of one batch share their `at`: parsed once for all of them and every stream.
  private lastAt = '';
  private lastAtMs = 0;

  constructor(
    private readonly log: EventLog,
    private readonly metrics: MetricsService,
  ) {}

  // Returns the function that closes the stream; call it when the client goes away.
  start(sink: EventSink, filter: EventFilter, lastEventId: number | null): () => void {
    let closed = false;
    let lastSeen = lastEventId ?? this.log.latestEventId();
    // `live`: not read from the log for a replay (those count in no delivery lag).
    const send = (event: CorralEvent, live = true) => {
      if (closed) return;
      if (event.type === LOST_EVENT_TYPE) {
        sink.reset({ reason: lostReason(event), lastEventId: lastSeen, resumeFrom: event.id });
        lastSeen = event.id;
        return;
      }
      lastSeen = event.id;
      if (!matches(filter, event)) return;
      // A client that cannot keep up is cut off; it resumes from the log with Last-Event-ID.
      if (!sink.event(event)) {
        this.logger.warn(`event stream fell behind at event ${event.id}; closing it`);
        close();
        return;
      }
      if (live) this.metrics.eventDelivered(this.lagOf(event));
    };
    // Subscribe first: live events that arrive while the replay is read wait in the merge.
    const merge = lastEventId === null ? null : new ReplayMerge<CorralEvent>(lastEventId, REPLAY_BUFFER_EVENTS);
    const deliveredBatch = this.log.deliveredBatch();
    const latestEventId = this.log.latestEventId();
    const unsubscribe = this.log.subscribe((event) => {
      if (!merge) return send(event);
      const now = merge.live(event);
      if (now) send(now);
      else if (merge.overflowed && !closed) {
        this.logger.warn(
          `event stream fell behind while replaying (${REPLAY_BUFFER_EVENTS} live events waiting); closing it`,
        );
        close();
      }
    });
    const timer = setInterval(() => sink.comment('heartbeat'), this.heartbeatMs);
    timer.unref();
    const close = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(timer);
      this.open.delete(close);
      sink.end();
    };
    this.open.add(close);
    if (merge) {
      this.replay(merge, deliveredBatch, latestEventId, sink, send, () => closed).catch((err: Error) => {
        this.logger.warn(`event stream replay failed: ${err.message}; closing it`);
        close();
      });
    }
    return close;
  }

  // From publication on the replica that saw the change to this stream (through the database).
  private lagOf(event: CorralEvent): number {
    if (event.at !== this.lastAt) {
      this.lastAt = event.at;
      this.lastAtMs = Date.parse(event.at);
    }
    return Math.max(0, Date.now() - this.lastAtMs) / 1000;
  }

  openStreams(): number {
    return this.open.size;
  }

  onModuleDestroy(): void {
    for (const close of [...this.open]) close();
  }

  // The events after the client's id, read from the log up to what this replica had delivered
  // when the stream subscribed; then the live events kept meanwhile that the replay did not cover.
  private async replay(
    merge: ReplayMerge<CorralEvent>,
    deliveredBatch: number,
    latestEventId: number,
    sink: EventSink,
    send: (event: CorralEvent, live?: boolean) => void,
    isClosed: () => boolean,
  ): Promise<void> {
    const lastEventId = merge.lastSent;
    const bounds = await this.log.bounds();
    const plan = planResume({
      lastEventId,
      latestEventId,
      oldestBatch: bounds.oldest,
      newestBatch: bounds.newest,
    });
    if (plan.action === 'reset') {
      if (isClosed()) return;
      sink.reset({ reason: plan.reason, lastEventId, resumeFrom: latestEventId });
      merge.resetTo(latestEventId);
    } else if (plan.action === 'replay') {
      let sent = 0;
      for await (const events of this.log.read(plan.fromBatch, deliveredBatch)) {
        for (const event of events) {
          if (isClosed()) return;
          const missed = merge.replayed(event);
          if (!missed) continue;
          send(missed, false);
          // A long replay waits for the client to read, rather than outgrowing its buffer.
          if (++sent % 500 === 0) await sink.room?.();
        }
      }
    }
    if (isClosed()) return;
    for (const event of merge.finish()) send(event);
  }
}
