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
  private nextId = 1;
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

  // Events after `lastId`, or null when some of them already left the window (the client must re-list).
  since(lastId: number): CorralEvent[] | null {
    const oldest = this.window[0]?.id ?? this.nextId;
    if (lastId + 1 < oldest) return null;
    return this.window.filter((e) => e.id > lastId);
  }
}
