import type { AuditEntry, Page } from '@corral/client';
import { useEffect, useState } from 'preact/hooks';
import { client, messageOf } from '../api';
import { SimpleTable } from '../components/simple-table';
import { formatTime } from '../lib/format';

export function AuditPage() {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [applied, setApplied] = useState({ actor: '', action: '' });
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<AuditEntry> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1] ?? null;
  useEffect(() => {
    const q: Record<string, unknown> = { limit: 50 };
    if (applied.actor.trim()) q.actor = applied.actor.trim();
    if (applied.action.trim()) q.action = applied.action.trim();
    if (cursor) q.cursor = cursor;
    client.audit(q).then(
      (p) => {
        setPage(p);
        setError(null);
      },
      (err) => setError(messageOf(err)),
    );
  }, [applied, cursor]);
  return (
    <div class="page">
      <h1>Audit</h1>
      <form
        class="filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ actor, action });
          setCursors([null]);
        }}
      >
        <div>
          <label for="au-actor">Actor</label>
          <input id="au-actor" value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        </div>
        <div>
          <label for="au-action">Action contains</label>
          <input id="au-action" value={action} onInput={(e) => setAction(e.currentTarget.value)} />
        </div>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Apply filters
          </button>
        </div>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <SimpleTable
        caption="Audit log, newest first"
        rows={page?.items ?? []}
        columns={[
          { label: 'When', cell: (a) => formatTime(a.at) },
          { label: 'Actor', cell: (a) => a.actor },
          { label: 'Action', cell: (a) => a.action },
          { label: 'Target', cell: (a) => (a.targetKind ? `${a.targetKind} ${a.targetId ?? ''}` : '—') },
          { label: 'Outcome', cell: (a) => `${a.outcome}${a.statusCode ? ` (${a.statusCode})` : ''}` },
          { label: 'From', cell: (a) => a.remoteAddr ?? '—' },
        ]}
      />
      <nav class="pager" aria-label="Pages of the audit log">
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
