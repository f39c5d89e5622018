import { Injectable } from '@nestjs/common';

export type EventKind = 'container' | 'image' | 'volume' | 'network' | 'bridge' | 'lease' | 'host' | 'command';

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
  private readonly window: CorralEvent[] = [];
  private readonly listeners = new Set<(event: CorralEvent) => void>();

  publish(event: NewEvent): CorralEvent {
    const full: CorralEvent = { ...event, id: this.nextId++, at: new Date().toISOString() };
    this.window.push(full);
    if (this.window.length > EVENT_WINDOW) this.window.splice(0, this.window.length - EVENT_WINDOW);
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
    const oldest = this.window[0]?.id ?? this.nextId;
    if (lastId + 1 < oldest || lastId >= this.nextId) return null;
    return this.window.filter((e) => e.id > lastId);
  }

  // The id of the newest event published, where a client that re-listed now resumes from.
  latestId(): number {
    return this.nextId - 1;
  }

  listenerCount(): number {
    return this.listeners.size;
  }
}
