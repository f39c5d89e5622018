import { Injectable } from '@nestjs/common';

export type EventKind =
  | 'container'
  | 'image'
  | 'volume'
  | 'network'
  | 'bridge'
  | 'lease'
  | 'finding'
  | 'host'
  | 'command';

export interface CorralEvent {
  // Monotonic within this controller process; clients resume with Last-Event-ID.
  id: number;
  // Past tense for what happened: container-started, lease-added, host-offline, command-succeeded, ...
  type: string;
  kind: EventKind;
  hostId: string | null;
  at: string;
  data: Record<string, unknown>;
}

export type NewEvent = Omit<CorralEvent, 'id' | 'at'>;

// In-process fan-out of inventory changes and command transitions, with a bounded replay window.
export const EVENT_WINDOW = 10_000;

@Injectable()
export class EventBus {
  // Ids start from the clock, so an id kept from an earlier controller process reads as older than
  // the window (the client re-lists) rather than as an event of this one.
  private nextId = Date.now() * 1000;
  // A ring of the last EVENT_WINDOW events: the newest is at (head - 1), ids are consecutive.
  private readonly ring: (CorralEvent | undefined)[] = new Array(EVENT_WINDOW);
  private head = 0;
  private size = 0;
  private readonly listeners = new Set<(event: CorralEvent) => void>();
  // A batch publishes thousands of events within the same millisecond: format its time once.
  private atMs = 0;
  private atText = '';

  publish(event: NewEvent): CorralEvent {
    const now = Date.now();
    if (now !== this.atMs) {
      this.atMs = now;
      this.atText = new Date(now).toISOString();
    }
    const full: CorralEvent = { ...event, id: this.nextId++, at: this.atText };
    this.ring[this.head] = full;
    this.head = (this.head + 1) % EVENT_WINDOW;
    if (this.size < EVENT_WINDOW) this.size++;
    for (const listener of this.listeners) listener(full);
    return full;
  }

  subscribe(listener: (event: CorralEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Events after `lastId`, or null when some of them already left the window, or the id was never
  // issued by this process (the client must re-list).
  since(lastId: number): CorralEvent[] | null {
    const oldest = this.size > 0 ? this.nextId - this.size : this.nextId;
    if (lastId + 1 < oldest || lastId >= this.nextId) return null;
    const count = this.nextId - 1 - lastId;
    const out: CorralEvent[] = new Array(count);
    const start = (this.head - count + EVENT_WINDOW) % EVENT_WINDOW;
    for (let i = 0; i < count; i++) out[i] = this.ring[(start + i) % EVENT_WINDOW]!;
    return out;
  }

  // The id of the newest event published, where a client that re-listed now resumes from.
  latestId(): number {
    return this.nextId - 1;
  }

  listenerCount(): number {
    return this.listeners.size;
  }
}
