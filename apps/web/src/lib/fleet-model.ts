import type { CorralEvent, Host } from '@corral/client';

export type SortKey = 'hostname' | 'status' | 'containers' | 'running' | 'cpus' | 'memory';
export type SortDir = 'asc' | 'desc';

export interface FleetQuery {
  text: string;
  status: 'all' | 'online' | 'offline';
  runtime: 'all' | 'docker' | 'lxc';
  cordoned: 'all' | 'yes' | 'no';
  sort: SortKey;
  dir: SortDir;
}

export const DEFAULT_QUERY: FleetQuery = {
  text: '',
  status: 'all',
  runtime: 'all',
  cordoned: 'all',
  sort: 'hostname',
  dir: 'asc',
};

type CountKey = 'images' | 'volumes' | 'networks' | 'bridges' | 'leases';

// Inventory events that add or remove a row of a counted kind.
const COUNTED: Record<string, [CountKey, 1 | -1]> = {
  'image-added': ['images', 1],
  'image-removed': ['images', -1],
  'volume-created': ['volumes', 1],
  'volume-removed': ['volumes', -1],
  'network-created': ['networks', 1],
  'network-removed': ['networks', -1],
  'bridge-added': ['bridges', 1],
  'bridge-removed': ['bridges', -1],
  'lease-added': ['leases', 1],
  'lease-removed': ['leases', -1],
};

export type EventEffect = 'changed' | 'unknown-host' | 'none';

const text = (v: unknown) => (typeof v === 'string' ? v : null);

// The fleet as the page holds it: every host by id, kept current by the event stream (counts move
// with container and inventory events, status with host events), and sorted, filtered views of it.
export class FleetModel {
  readonly hosts = new Map<string, Host>();
  version = 0;
  private cache: { version: number; key: string; rows: Host[] } | null = null;

  upsert(hosts: readonly Host[]): void {
    for (const host of hosts) this.hosts.set(host.id, host);
    this.version += 1;
  }

  // Drops the hosts not in `ids` (removed since the last full read).
  retain(ids: ReadonlySet<string>): void {
    let dropped = false;
    for (const id of this.hosts.keys()) {
      if (!ids.has(id)) {
        this.hosts.delete(id);
        dropped = true;
      }
    }
    if (dropped) this.version += 1;
  }

  clear(): void {
    this.hosts.clear();
    this.version += 1;
  }

  applyEvent(event: CorralEvent): EventEffect {
    if (!event.hostId) return 'none';
    const host = this.hosts.get(event.hostId);
    if (!host) return event.kind === 'host' || event.kind === 'container' ? 'unknown-host' : 'none';
    const changed = this.apply(host, event);
    if (changed) this.version += 1;
    return changed ? 'changed' : 'none';
  }

  private apply(host: Host, event: CorralEvent): boolean {
    const { type, data } = event;
    if (type === 'host-online' || type === 'host-offline') {
      const online = type === 'host-online';
      this.hosts.set(host.id, { ...host, status: online ? 'online' : 'offline', stale: !online });
      return true;
    }
    if (event.kind === 'container') {
      const state = text(data.state);
      const previous = text(data.previousState);
      const byState = { ...host.counts.containersByState };
      const move = (s: string | null, by: number) => {
        if (!s) return;
        const n = (byState[s] ?? 0) + by;
        if (n > 0) byState[s] = n;
        else delete byState[s];
      };
      let containers = host.counts.containers;
      if (type === 'container-created') {
        containers += 1;
        move(state, 1);
      } else if (type === 'container-removed') {
        containers = Math.max(0, containers - 1);
        move(state, -1);
      } else if (previous && state && previous !== state) {
        move(previous, -1);
        move(state, 1);
      } else {
        return false;
      }
      this.hosts.set(host.id, { ...host, counts: { ...host.counts, containers, containersByState: byState } });
      return true;
    }
    const counted = COUNTED[type];
    if (!counted) return false;
    const [key, by] = counted;
    this.hosts.set(host.id, { ...host, counts: { ...host.counts, [key]: Math.max(0, host.counts[key] + by) } });
    return true;
  }

  // Hosts that pass the filters, sorted; recomputed only when the hosts or the query changed.
  view(query: FleetQuery): Host[] {
    const key = JSON.stringify(query);
    if (this.cache && this.cache.version === this.version && this.cache.key === key) return this.cache.rows;
    const needle = query.text.trim().toLowerCase();
    const rows: Host[] = [];
    for (const host of this.hosts.values()) {
      if (query.status !== 'all' && host.status !== query.status) continue;
      if (query.cordoned !== 'all' && host.cordoned !== (query.cordoned === 'yes')) continue;
      if (query.runtime !== 'all' && !host.runtimes.some((r) => r.name === query.runtime && r.available)) continue;
      if (needle && !matchesText(host, needle)) continue;
      rows.push(host);
    }
    const compare = COMPARE[query.sort];
    const sign = query.dir === 'asc' ? 1 : -1;
    rows.sort((a, b) => sign * compare(a, b) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
    this.cache = { version: this.version, key, rows };
    return rows;
  }
}

function matchesText(host: Host, needle: string): boolean {
  if (host.hostname.toLowerCase().includes(needle)) return true;
  for (const [k, v] of Object.entries(host.effectiveLabels)) {
    if (`${k}=${v}`.toLowerCase().includes(needle)) return true;
  }
  return false;
}

export const running = (host: Host) => host.counts.containersByState.running ?? 0;

const COMPARE: Record<SortKey, (a: Host, b: Host) => number> = {
  hostname: (a, b) => a.hostname.localeCompare(b.hostname),
  status: (a, b) => a.status.localeCompare(b.status),
  containers: (a, b) => a.counts.containers - b.counts.containers,
  running: (a, b) => running(a) - running(b),
  cpus: (a, b) => (a.facts?.cpuCount ?? 0) - (b.facts?.cpuCount ?? 0),
  memory: (a, b) => (a.facts?.memoryTotalBytes ?? 0) - (b.facts?.memoryTotalBytes ?? 0),
};
