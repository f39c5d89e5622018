import type { Container, Page } from '@corral/client';
import { ContainerStateSchema } from '@corral/protocol';
import { useEffect, useState } from 'preact/hooks';
import { client, messageOf } from '../api';
import { ContainerTable } from '../components/container-table';
import { useLiveRefresh } from '../lib/hooks';

const PAGE_SIZE = 50;

interface Filters {
  name: string;
  host: string;
  runtime: string;
  state: string;
  label: string;
  ip: string;
  mac: string;
}

const EMPTY: Filters = { name: '', host: '', runtime: '', state: '', label: '', ip: '', mac: '' };

let markedFirstRows = false;

// Containers of the whole fleet, filtered and paged by the server: a page is 50 rows whatever the
// fleet holds (keyset cursors, so page 1,000 costs what page 1 does).
export function ContainersPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  // Cursors of the pages walked so far; the last is the current page's.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<Container> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1] ?? null;
  const load = async () => {
    try {
      const query: Record<string, unknown> = { limit: PAGE_SIZE };
      for (const [k, v] of Object.entries(filters)) if (v.trim()) query[k] = v.trim();
      if (cursor) query.cursor = cursor;
      setPage(await client.containers(query));
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  useEffect(() => {
    void load();
  }, [filters, cursor]);
  useEffect(() => {
    if (page && page.items.length > 0 && !markedFirstRows) {
      markedFirstRows = true;
      performance.mark('corral-containers-rows');
    }
  });
  useLiveRefresh(
    (e) => e.kind === 'container',
    () => void load(),
    1000,
  );
  const field = (key: keyof Filters, label: string, placeholder = '') => (
    <div>
      <label for={`c-${key}`}>{label}</label>
      <input
        id={`c-${key}`}
        value={draft[key]}
        placeholder={placeholder}
        onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })}
      />
    </div>
  );
  return (
    <div class="page">
      <div class="page-head">
        <h1>Containers</h1>
      </div>
      <form
        class="filters"
        aria-label="Filter containers"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
          setCursors([null]);
        }}
      >
        {field('name', 'Name contains')}
        {field('host', 'Host (name or id)')}
        <div>
          <label for="c-runtime">Runtime</label>
          <select
            id="c-runtime"
            value={draft.runtime}
            onChange={(e) => setDraft({ ...draft, runtime: e.currentTarget.value })}
          >
            <option value="">any</option>
            <option value="docker">docker</option>
            <option value="lxc">lxc</option>
          </select>
        </div>
        <div>
          <label for="c-state">State</label>
          <select
            id="c-state"
            value={draft.state}
            onChange={(e) => setDraft({ ...draft, state: e.currentTarget.value })}
          >
            <option value="">any</option>
            {ContainerStateSchema.options.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        {field('label', 'Label', 'key=value')}
        {field('ip', 'IP address')}
        {field('mac', 'MAC address')}
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
              setCursors([null]);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {page ? <ContainerTable items={page.items} showHost caption="Containers of the fleet" /> : <p>Loading…</p>}
      <nav class="pager" aria-label="Pages of containers">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}
        >
          Next page
        </button>
      </nav>
    </div>
  );
}
