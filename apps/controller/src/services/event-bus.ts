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
  // On the bus: a sequence of this process. On the event log's feed and the streams: the durable id
  // (`batch id * 1e6 + place in the batch`), the same on every replica; clients resume with it.
  id: number;
  // Past tense for what happened: container-started, lease-added, host-offline, command-succeeded, ...
  type: string;
  kind: EventKind;
  hostId: string | null;
  at: string;
  data: Record<string, unknown>;
}

export type NewEvent = Omit<CorralEvent, 'id' | 'at'>;

// Events published as already written to the event log (see EventBus.publish).
const LOGGED = new WeakSet<CorralEvent>();
export const isLogged = (event: CorralEvent): boolean => LOGGED.has(event);

// In-process fan-out of inventory changes and command transitions, delivered synchronously to this
// process's services. The event log (cluster/event-log.ts) listens too and writes every event to
// Postgres, from where the streams of every replica read them.
@Injectable()
export class EventBus {
  private nextId = 1;
  private readonly listeners = new Set<(event: CorralEvent) => void>();
  // A batch publishes thousands of events within the same millisecond: format its time once.
  private atMs = 0;
  private atText = '';

  // `logged`: the event is in the event log already (written in the transaction that made the
  // change), so the log's writer passes it by.
  publish(event: NewEvent, logged = false): CorralEvent {
    const now = Date.now();
    if (now !== this.atMs) {
      this.atMs = now;
      this.atText = new Date(now).toISOString();
    }
    const full: CorralEvent = { ...event, id: this.nextId++, at: this.atText };
    if (logged) LOGGED.add(full);
    for (const listener of this.listeners) listener(full);
    return full;
  }

  subscribe(listener: (event: CorralEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  listenerCount(): number {
    return this.listeners.size;
  }
}
