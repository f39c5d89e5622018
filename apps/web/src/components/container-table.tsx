import type { CommandOp, Container } from '@corral/client';
import { useState } from 'preact/hooks';
import { client, hasRole, messageOf, session } from '../api';
import { useStore } from '../lib/store';
import { Link } from '../router';
import { Labels, StateBadge } from './badges';
import { Confirm, Dialog } from './dialog';
import { LazyTerminalPanel } from './lazy-terminal-panel';
import { LogsPanel } from './logs-panel';
import { notify } from './notices';

const RUNNING = new Set(['running', 'paused', 'frozen', 'restarting']);

async function act(op: CommandOp, c: Container, params: Record<string, unknown> = {}): Promise<void> {
  try {
    const command = await client.op(op, c.id, params as never, { wait: 30 });
    if (command.status === 'succeeded') notify(`${op.replace('container.', '')} ${c.name}: done`);
    else if (['pending', 'sent', 'running'].includes(command.status))
      notify(`${op.replace('container.', '')} ${c.name}: ${command.status}`);
    else notify(`${op} ${c.name}: ${command.error?.message ?? command.status}`, 'error');
  } catch (err) {
    notify(`${op} ${c.name}: ${messageOf(err)}`, 'error');
  }
}

// Containers as rows; operators get the lifecycle buttons and the terminal, viewers only the log.
export function ContainerTable(props: { items: Container[]; showHost?: boolean; caption: string }) {
  const s = useStore(session);
  const operate = hasRole(s, 'operator');
  const [open, setOpen] = useState<{ kind: 'exec' | 'logs' | 'remove'; container: Container } | null>(null);
  return (
    <section class="table-wrap" tabIndex={0} aria-label={props.caption}>
      <table class="data">
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            {props.showHost ? <th scope="col">Host</th> : null}
            <th scope="col">Runtime</th>
            <th scope="col">State</th>
            <th scope="col">Image</th>
            <th scope="col">Addresses</th>
            <th scope="col">Labels</th>
            <th scope="col">{operate ? 'Actions' : 'Log'}</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((c) => (
            <tr key={c.id} data-container={c.name}>
              <td class="name">{c.name}</td>
              {props.showHost ? (
                <td>
                  <Link href={`/hosts/${c.hostId}`}>{c.hostname}</Link>
                </td>
              ) : null}
              <td>{c.runtime}</td>
              <td>
                <StateBadge state={c.state} />
                {c.stale ? <span class="muted"> (stale)</span> : null}
              </td>
              <td class="clip" title={c.image ?? ''}>
                {c.image ?? '—'}
              </td>
              <td class="clip">{[...(c.ipv4 ?? []), ...(c.ipv6 ?? [])].join(', ') || '—'}</td>
              <td class="clip">
                <Labels labels={c.labels as Record<string, string>} max={3} />
              </td>
              <td class="actions">
                {operate ? (
                  <>
                    {RUNNING.has(c.state) ? (
                      <button type="button" aria-label={`Stop ${c.name}`} onClick={() => void act('container.stop', c)}>
                        Stop
                      </button>
                    ) : (
                      <button
                        type="button"
                        aria-label={`Start ${c.name}`}
                        onClick={() => void act('container.start', c)}
                      >
                        Start
                      </button>
                    )}
                    <button
                      type="button"
                      aria-label={`Restart ${c.name}`}
                      onClick={() => void act('container.restart', c)}
                    >
                      Restart
                    </button>
                    <button
                      type="button"
                      aria-label={`Exec in ${c.name}`}
                      onClick={() => setOpen({ kind: 'exec', container: c })}
                    >
                      Exec
                    </button>
                  </>
                ) : null}
                <button
                  type="button"
                  aria-label={`Logs of ${c.name}`}
                  onClick={() => setOpen({ kind: 'logs', container: c })}
                >
                  Logs
                </button>
                {operate ? (
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Remove ${c.name}`}
                    onClick={() => setOpen({ kind: 'remove', container: c })}
                  >
                    Remove
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.items.length === 0 ? <p class="empty">No containers.</p> : null}
      {open?.kind === 'exec' ? (
        <Dialog title={`Exec in ${open.container.name}`} onClose={() => setOpen(null)} wide>
          <LazyTerminalPanel containerId={open.container.id} containerName={open.container.name} />
        </Dialog>
      ) : null}
      {open?.kind === 'logs' ? (
        <Dialog title={`Logs of ${open.container.name}`} onClose={() => setOpen(null)} wide>
          <LogsPanel containerId={open.container.id} containerName={open.container.name} />
        </Dialog>
      ) : null}
      {open?.kind === 'remove' ? (
        <Confirm
          title={`Remove ${open.container.name}?`}
          message={`The container ${open.container.name} on ${open.container.hostname} is removed, running or not. This cannot be undone.`}
          confirmLabel="Remove"
          onConfirm={() => void act('container.remove', open.container, { force: true })}
          onClose={() => setOpen(null)}
        />
      ) : null}
    </section>
  );
}
