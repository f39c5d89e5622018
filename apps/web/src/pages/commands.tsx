import type { Command, CommandSummary, Page } from '@corral/client';
import { COMMAND_OPS } from '@corral/protocol';
import { useEffect, useState } from 'preact/hooks';
import { client, hasRole, messageOf, session } from '../api';
import { StateBadge } from '../components/badges';
import { notify } from '../components/notices';
import { SimpleTable } from '../components/simple-table';
import { fleet } from '../lib/fleet-store';
import { formatTime } from '../lib/format';
import { useLiveRefresh } from '../lib/hooks';
import { useStore } from '../lib/store';
import { live } from '../live';
import { Link, queryOf, route } from '../router';

const STATUSES = ['pending', 'sent', 'running', 'succeeded', 'failed', 'timed_out', 'canceled'];
const OPEN = new Set(['pending', 'sent', 'running']);

function targetText(target: unknown): string {
  const t = (target ?? {}) as { kind?: string; id?: string; name?: string; runtime?: string };
  return [t.runtime, t.kind, t.name ?? t.id?.slice(0, 12)].filter(Boolean).join(' ') || '—';
}

const hostName = (id: string) => fleet.model.hosts.get(id)?.hostname ?? id.slice(0, 8);

function CommandDetail(props: { id: string }) {
  const s = useStore(session);
  const [command, setCommand] = useState<Command | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    try {
      setCommand(await client.command(props.id));
    } catch (err) {
      setError(messageOf(err));
    }
  };
  useEffect(() => {
    void load();
  }, [props.id]);
  useLiveRefresh(
    (e) => e.kind === 'command' && e.data.id === props.id,
    () => void load(),
    300,
  );
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!command) return <p>Loading…</p>;
  const mayRead = hasRole(s, 'operator');
  const result = command.result as { stdout?: string; stderr?: string; exitCode?: number | null } | null;
  return (
    <section aria-labelledby="cmd-h" class="card">
      <h2 id="cmd-h">
        {command.op} <StateBadge state={command.status} />
      </h2>
      <dl class="facts">
        <dt>Id</dt>
        <dd>{command.id}</dd>
        <dt>Target</dt>
        <dd>{targetText(command.target)}</dd>
        <dt>Requested by</dt>
        <dd>{command.requestedBy ?? '—'}</dd>
        <dt>Created</dt>
        <dd>{formatTime(command.createdAt)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(command.finishedAt)}</dd>
        {command.error ? (
          <>
            <dt>Error</dt>
            <dd>
              {command.error.code}: {command.error.message}
            </dd>
          </>
        ) : null}
      </dl>
      {hasRole(s, 'operator') && OPEN.has(command.status) ? (
        <button
          type="button"
          onClick={async () => {
            try {
              setCommand(await client.call<Command>('POST', `/api/v1/commands/${command.id}/cancel`));
            } catch (err) {
              notify(messageOf(err), 'error');
            }
          }}
        >
          Cancel command
        </button>
      ) : null}
      <h3>Output</h3>
      {mayRead ? (
        <pre role="log" class="terminal" tabIndex={0} aria-label="Command output">
          {command.output || result?.stdout || ''}
          {result?.stderr ?? ''}
          {result && 'exitCode' in result ? `\nexit code ${result.exitCode ?? 'none'}` : ''}
        </pre>
      ) : (
        <p class="muted">Output is shown to operators and admins.</p>
      )}
    </section>
  );
}

// Commands, newest first, their status kept live from the event stream.
export function CommandsPage() {
  const href = useStore(route);
  const selected = queryOf(href).get('id');
  const [status, setStatus] = useState('');
  const [op, setOp] = useState('');
  const [host, setHost] = useState('');
  const [applied, setApplied] = useState({ status: '', op: '', host: '' });
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<CommandSummary> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1] ?? null;
  useStore(fleet.tick);
  useEffect(() => fleet.ensureLoaded(), []);
  const load = async () => {
    try {
      const q: Record<string, unknown> = { limit: 50 };
      if (applied.status) q.status = applied.status;
      if (applied.op) q.op = applied.op;
      if (applied.host.trim()) q.host = applied.host.trim();
      if (cursor) q.cursor = cursor;
      setPage(await client.commands(q));
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  useEffect(() => {
    void load();
  }, [applied, cursor]);
  // Status changes of listed commands are applied in place; new commands come with a re-read.
  useEffect(
    () =>
      live.subscribe((e) => {
        if (e.kind !== 'command' || e.type === 'command-output') return;
        const summary = e.data as unknown as CommandSummary;
        setPage((p) => (p ? { ...p, items: p.items.map((c) => (c.id === summary.id ? { ...c, ...summary } : c)) } : p));
      }),
    [],
  );
  useLiveRefresh(
    (e) => e.type === 'command-pending' || e.type === 'command-sent',
    () => void load(),
    1000,
  );
  return (
    <div class="page">
      <h1>Commands</h1>
      {selected ? <CommandDetail id={selected} /> : null}
      <form
        class="filters"
        aria-label="Filter commands"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ status, op, host });
          setCursors([null]);
        }}
      >
        <div>
          <label for="cmd-status">Status</label>
          <select id="cmd-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="cmd-op">Op</label>
          <select id="cmd-op" value={op} onChange={(e) => setOp(e.currentTarget.value)}>
            <option value="">any</option>
            {COMMAND_OPS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="cmd-host">Host</label>
          <input id="cmd-host" value={host} onInput={(e) => setHost(e.currentTarget.value)} />
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
        caption="Commands, newest first"
        rows={page?.items ?? []}
        columns={[
          { label: 'Op', cell: (c) => <Link href={`/commands?id=${c.id}`}>{c.op}</Link> },
          { label: 'Status', cell: (c) => <StateBadge state={c.status} /> },
          { label: 'Host', cell: (c) => <Link href={`/hosts/${c.hostId}`}>{hostName(c.hostId)}</Link> },
          { label: 'Target', cell: (c) => targetText(c.target) },
          { label: 'By', cell: (c) => c.requestedBy ?? '—' },
          { label: 'Created', cell: (c) => formatTime(c.createdAt) },
        ]}
      />
      <nav class="pager" aria-label="Pages of commands">
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
