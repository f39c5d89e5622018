import type { CorralEvent, EventStreamHandle } from '@corral/client';
import { client, session } from './api';
import { Store } from './lib/store';

export type LiveListener = (event: CorralEvent) => void;

const KEEP = 500;

// One event stream for the whole page; pages subscribe to it. The last 500 events are kept for the
// Events page and the host page's recent events.
class LiveFeed {
  readonly connected = new Store<boolean>(false);
  // Bumped after a reset: pages list again.
  readonly resets = new Store<number>(0);
  readonly recent: CorralEvent[] = [];
  // Events received since the page loaded (read by the benchmark as window.corralStats).
  received = 0;
  private readonly listeners = new Set<LiveListener>();
  private handle: EventStreamHandle | null = null;

  start(): void {
    if (this.handle) return;
    this.handle = client.followEvents(
      {},
      {
        onEvent: (event) => {
          this.received += 1;
          this.recent.push(event);
          if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
          for (const listener of this.listeners) listener(event);
        },
        onReset: () => this.resets.set(this.resets.value + 1),
        onConnection: (open) => this.connected.set(open),
        onRefused: (status) => {
          this.handle = null;
          this.connected.set(false);
          if (status === 401) session.set(null);
        },
      },
    );
  }

  stop(): void {
    this.handle?.close();
    this.handle = null;
    this.connected.set(false);
    this.recent.length = 0;
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const live = new LiveFeed();

// Counters for the benchmark and for whoever looks at a slow page from the devtools.
(window as unknown as { corralStats: unknown }).corralStats = {
  get eventsReceived() {
    return live.received;
  },
};
