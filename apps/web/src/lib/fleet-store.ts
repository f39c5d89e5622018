import type { Host } from '@corral/client';
import { client, messageOf } from '../api';
import { live } from '../live';
import { FleetModel } from './fleet-model';
import { Store } from './store';

const FIRST_PAGE = 200;
const PAGE = 1000;
// The page re-renders the fleet at most this often, however fast the fleet changes.
const RENDER_EVERY_MS = 500;
// Hosts fetched one by one at a time; past this the whole list is read again instead.
const MAX_SINGLE_FETCHES = 20;

// The fleet, loaded once (first page quickly, the rest behind it) and kept current by events.
class FleetStore {
  readonly model = new FleetModel();
  readonly state = new Store<'idle' | 'loading' | 'partial' | 'done' | 'error'>('idle');
  readonly error = new Store<string | null>(null);
  // Bumped (throttled) when the model changed: what the page re-renders on.
  readonly tick = new Store<number>(0);
  private off: (() => void) | null = null;
  private tickTimer: ReturnType<typeof setTimeout> | null = null;
  private lastTick = 0;
  private readonly fetching = new Set<string>();
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;

  ensureLoaded(): void {
    if (this.state.value === 'idle' || this.state.value === 'error') void this.load();
  }

  async load(): Promise<void> {
    const generation = ++this.generation;
    this.state.set('loading');
    this.error.set(null);
    this.subscribe();
    try {
      let page = await client.hosts({ limit: FIRST_PAGE });
      if (generation !== this.generation) return;
      // A reload keeps the rows on screen and drops, at the end, the hosts that are gone.
      const seen = new Set(page.items.map((h) => h.id));
      this.model.upsert(page.items);
      this.state.set(page.nextCursor ? 'partial' : 'done');
      this.bump(true);
      while (page.nextCursor) {
        page = await client.hosts({ limit: PAGE, cursor: page.nextCursor });
        if (generation !== this.generation) return;
        this.model.upsert(page.items);
        for (const h of page.items) seen.add(h.id);
        this.bump(true);
      }
      this.model.retain(seen);
      this.bump(true);
      this.state.set('done');
      performance.mark('corral-fleet-loaded');
    } catch (err) {
      if (generation !== this.generation) return;
      this.error.set(messageOf(err));
      this.state.set('error');
    }
  }

  upsert(host: Host): void {
    this.model.upsert([host]);
    this.bump();
  }

  reset(): void {
    this.generation += 1;
    this.off?.();
    this.off = null;
    this.model.clear();
    this.state.set('idle');
  }

  private subscribe(): void {
    if (this.off) return;
    const offEvents = live.subscribe((event) => {
      const effect = this.model.applyEvent(event);
      if (effect === 'changed') this.bump();
      if (event.hostId && (effect === 'unknown-host' || event.type === 'host-online')) this.refetch(event.hostId);
    });
    const offResets = live.resets.subscribe(() => void this.load());
    this.off = () => {
      offEvents();
      offResets();
    };
  }

  // A host the page has not seen (just enrolled), or one back online with new facts. While the
  // fleet is loading, its pages bring them; when many come at once (a fleet reconnecting), one
  // reload of the list replaces a request per host.
  private refetch(id: string): void {
    if (this.state.value === 'loading' || this.state.value === 'partial') return;
    if (this.fetching.size >= MAX_SINGLE_FETCHES) {
      if (!this.reloadTimer) {
        this.reloadTimer = setTimeout(() => {
          this.reloadTimer = null;
          void this.load();
        }, 2_000);
      }
      return;
    }
    if (this.fetching.has(id)) return;
    this.fetching.add(id);
    client
      .host(id)
      .then((host) => this.upsert(host))
      .catch(() => {})
      .finally(() => this.fetching.delete(id));
  }

  private bump(now = false): void {
    if (this.tickTimer) return;
    const wait = now ? 0 : Math.max(0, this.lastTick + RENDER_EVERY_MS - Date.now());
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      this.lastTick = Date.now();
      this.tick.set(this.tick.value + 1);
    }, wait);
  }
}

export const fleet = new FleetStore();
