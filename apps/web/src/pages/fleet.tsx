import type { Host } from '@corral/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { hasRole, session } from '../api';
import { Labels, StateBadge } from '../components/badges';
import { CreateContainer } from '../components/create-container';
import { SearchBox } from '../components/search-box';
import { DEFAULT_QUERY, type FleetQuery, running, type SortKey } from '../lib/fleet-model';
import { fleet } from '../lib/fleet-store';
import { formatBytes } from '../lib/format';
import { useStore } from '../lib/store';
import { virtualWindow } from '../lib/virtual-window';
import { Link } from '../router';

const ROW_HEIGHT = 44;
const COLUMNS: { key: SortKey | null; label: string }[] = [
  { key: 'hostname', label: 'Host' },
  { key: 'status', label: 'Status' },
  { key: null, label: 'Runtimes' },
  { key: 'cpus', label: 'CPUs' },
  { key: 'memory', label: 'Memory' },
  { key: 'containers', label: 'Containers' },
  { key: 'running', label: 'By state' },
  { key: null, label: 'Labels' },
  { key: null, label: 'Cordoned' },
];

function byState(host: Host): string {
  const entries = Object.entries(host.counts.containersByState).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([s, n]) => `${n} ${s}`).join(', ') : '—';
}

function runtimes(host: Host): string {
  return (
    host.runtimes.map((r) => (r.available ? `${r.name} ${r.version ?? ''}`.trim() : `${r.name} (off)`)).join(', ') ||
    '—'
  );
}

let markedFirstRows = false;

export function FleetPage() {
  useStore(fleet.tick);
  const state = useStore(fleet.state);
  const error = useStore(fleet.error);
  const s = useStore(session);
  const [query, setQuery] = useState<FleetQuery>(DEFAULT_QUERY);
  const [creating, setCreating] = useState(false);
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  const scroller = useRef<HTMLElement>(null);
  useEffect(() => fleet.ensureLoaded(), []);
  const rows = fleet.model.view(query);
  const win = virtualWindow(rows.length, ROW_HEIGHT, scroll.top, scroll.height);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setScroll({ top: el.scrollTop, height: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    if (rows.length > 0 && !markedFirstRows) {
      markedFirstRows = true;
      performance.mark('corral-fleet-rows');
    }
  });
  const total = fleet.model.hosts.size;
  let online = 0;
  let containers = 0;
  for (const h of fleet.model.hosts.values()) {
    if (h.status === 'online') online += 1;
    containers += h.counts.containers;
  }
  const sortBy = (key: SortKey) =>
    setQuery({ ...query, sort: key, dir: query.sort === key && query.dir === 'asc' ? 'desc' : 'asc' });
  return (
    <div class="page">
      <div class="page-head">
        <h1>Fleet</h1>
        <p class="summary" aria-live="polite">
          {total.toLocaleString('en-US')} {total === 1 ? 'host' : 'hosts'}, {online.toLocaleString('en-US')} online,{' '}
          {(total - online).toLocaleString('en-US')} offline; {containers.toLocaleString('en-US')}{' '}
          {containers === 1 ? 'container' : 'containers'}
          {state === 'loading' || state === 'partial' ? ' (loading…)' : ''}
        </p>
        {hasRole(s, 'operator') ? (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Create container
          </button>
        ) : null}
      </div>
      <SearchBox />
      <form class="filters" aria-label="Filter hosts" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="f-text">Host name or label</label>
          <input
            id="f-text"
            type="search"
            value={query.text}
            onInput={(e) => setQuery({ ...query, text: e.currentTarget.value })}
          />
        </div>
        <div>
          <label for="f-status">Status</label>
          <select
            id="f-status"
            value={query.status}
            onChange={(e) => setQuery({ ...query, status: e.currentTarget.value as FleetQuery['status'] })}
          >
            <option value="all">all</option>
            <option value="online">online</option>
            <option value="offline">offline</option>
          </select>
        </div>
        <div>
          <label for="f-runtime">Runtime</label>
          <select
            id="f-runtime"
            value={query.runtime}
            onChange={(e) => setQuery({ ...query, runtime: e.currentTarget.value as FleetQuery['runtime'] })}
          >
            <option value="all">all</option>
            <option value="docker">docker</option>
            <option value="lxc">lxc</option>
          </select>
        </div>
        <div>
          <label for="f-cordoned">Cordoned</label>
          <select
            id="f-cordoned"
            value={query.cordoned}
            onChange={(e) => setQuery({ ...query, cordoned: e.currentTarget.value as FleetQuery['cordoned'] })}
          >
            <option value="all">all</option>
            <option value="yes">cordoned</option>
            <option value="no">not cordoned</option>
          </select>
        </div>
        <p class="muted">{rows.length} shown</p>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <section
        class="table-wrap fleet-scroll"
        ref={scroller}
        tabIndex={0}
        aria-label="Hosts"
        onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
      >
        <table class="data fixed" aria-rowcount={rows.length + 1}>
          <caption class="sr-only">Hosts of the fleet; the column buttons sort</caption>
          <thead>
            <tr aria-rowindex={1}>
              {COLUMNS.map((c) => (
                <th
                  key={c.label}
                  scope="col"
                  aria-sort={
                    c.key && query.sort === c.key ? (query.dir === 'asc' ? 'ascending' : 'descending') : undefined
                  }
                >
                  {c.key ? (
                    <button type="button" class="sort" onClick={() => sortBy(c.key as SortKey)}>
                      {c.label}
                      <span aria-hidden="true">{query.sort === c.key ? (query.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {win.padTop > 0 ? <tr class="spacer" style={{ height: `${win.padTop}px` }} /> : null}
            {rows.slice(win.start, win.end).map((h, i) => (
              <tr
                key={h.id}
                aria-rowindex={win.start + i + 2}
                data-host={h.hostname}
                style={{ height: `${ROW_HEIGHT}px` }}
              >
                <td class="clip">
                  <Link href={`/hosts/${h.id}`}>{h.hostname}</Link>
                </td>
                <td>
                  <StateBadge state={h.status} />
                </td>
                <td class="clip">{runtimes(h)}</td>
                <td>{h.facts?.cpuCount ?? '—'}</td>
                <td>{formatBytes(h.facts?.memoryTotalBytes)}</td>
                <td>{h.counts.containers}</td>
                <td class="clip" title={byState(h)}>
                  {running(h) > 0 || h.counts.containers > 0 ? byState(h) : '—'}
                </td>
                <td class="clip">
                  <Labels labels={h.effectiveLabels} max={3} />
                </td>
                <td>{h.cordoned ? <span class="badge state-warn">cordoned</span> : 'no'}</td>
              </tr>
            ))}
            {win.padBottom > 0 ? <tr class="spacer" style={{ height: `${win.padBottom}px` }} /> : null}
          </tbody>
        </table>
        {rows.length === 0 && state === 'done' ? <p class="empty">No hosts match.</p> : null}
      </section>
      {creating ? <CreateContainer onClose={() => setCreating(false)} /> : null}
    </div>
  );
}
