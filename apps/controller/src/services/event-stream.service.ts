import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { type CorralEvent, EventBus, type EventKind } from './event-bus.js';
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
}

export const HEARTBEAT_MS = 15_000;

export function matches(filter: EventFilter, event: CorralEvent): boolean {
  if (filter.hostId && event.hostId !== filter.hostId) return false;
  if (filter.kinds && !filter.kinds.includes(event.kind)) return false;
  if (filter.types && !filter.types.includes(event.type)) return false;
  return true;
}

// Live event streams: replay from the bus window (or a reset), then live events, with heartbeats.
@Injectable()
export class EventStreamService implements OnModuleDestroy {
  private readonly logger = new Logger(EventStreamService.name);
  private readonly open = new Set<() => void>();
  heartbeatMs = HEARTBEAT_MS;
  // Events of one batch share their `at`: parsed once for all of them and every stream.
  private lastAt = '';
  private lastAtMs = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly metrics: MetricsService,
  ) {}

  // Returns the function that closes the stream; call it when the client goes away.
  start(sink: EventSink, filter: EventFilter, lastEventId: number | null): () => void {
    let closed = false;
    const deliver = (event: CorralEvent, live = true) => {
      if (closed || !matches(filter, event)) return;
      // A client that cannot keep up is cut off; it resumes from the window with Last-Event-ID.
      if (!sink.event(event)) {
        this.logger.warn(`event stream fell behind at event ${event.id}; closing it`);
        close();
        return;
      }
      if (live) this.metrics.eventDelivered(this.lagOf(event));
    };
    // Replay and subscribe in one synchronous step, so no event falls between them.
    const missed = lastEventId === null ? [] : this.bus.since(lastEventId);
    const unsubscribe = this.bus.subscribe(deliver);
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
    if (missed === null) {
      sink.reset({
        reason: 'events after the given id are no longer kept; list the inventory again',
        lastEventId: lastEventId!,
        resumeFrom: this.bus.latestId(),
      });
    } else {
      for (const event of missed) deliver(event, false);
    }
    return close;
  }

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
}
