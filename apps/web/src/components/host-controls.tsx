import type { Drain, Host } from '@corral/client';
import { useState } from 'preact/hooks';
import { client, messageOf } from '../api';
import { labelText, parseLabels } from '../lib/format';
import { Confirm, Dialog } from './dialog';
import { notify } from './notices';

// Cordon, uncordon, drain and the API labels of a host (operators).
export function HostControls(props: { host: Host; onChanged: (host: Host) => void }) {
  const { host } = props;
  const [open, setOpen] = useState<'drain' | 'labels' | null>(null);
  const [labels, setLabels] = useState('');
  const [drained, setDrained] = useState<Drain | null>(null);
  const run = async (what: string, call: () => Promise<Host>) => {
    try {
      props.onChanged(await call());
      notify(`${what} ${host.hostname}: done`);
    } catch (err) {
      notify(`${what} ${host.hostname}: ${messageOf(err)}`, 'error');
    }
  };
  return (
    <div class="row-actions">
      {host.cordoned ? (
        <button type="button" onClick={() => void run('uncordon', () => client.uncordon(host.id))}>
          Uncordon
        </button>
      ) : (
        <button type="button" onClick={() => void run('cordon', () => client.cordon(host.id))}>
          Cordon
        </button>
      )}
      <button type="button" onClick={() => setOpen('drain')}>
        Drain
      </button>
      <button
        type="button"
        onClick={() => {
          setLabels(
            Object.entries(host.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join('\n'),
          );
          setOpen('labels');
        }}
      >
        Edit labels
      </button>
      {open === 'drain' ? (
        <Confirm
          title={`Drain ${host.hostname}?`}
          message="The host is cordoned (no new placements) and the containers that would have to move are listed. Nothing is moved."
          confirmLabel="Drain"
          onConfirm={async () => {
            try {
              const result = await client.drain(host.id);
              props.onChanged(result.host as Host);
              setDrained(result);
            } catch (err) {
              notify(`drain ${host.hostname}: ${messageOf(err)}`, 'error');
            }
          }}
          onClose={() => setOpen(null)}
        />
      ) : null}
      {open === 'labels' ? (
        <Dialog title={`Labels of ${host.hostname}`} onClose={() => setOpen(null)}>
          <form
            class="stack"
            onSubmit={async (e) => {
              e.preventDefault();
              await run('labels', () => client.setHostLabels(host.id, parseLabels(labels)));
              setOpen(null);
            }}
          >
            <p class="muted">Agent labels (from CORRAL_LABELS, read-only): {labelText(host.agentLabels) || 'none'}</p>
            <label for="host-labels">API labels, key=value, one a line</label>
            <textarea id="host-labels" rows={6} value={labels} onInput={(e) => setLabels(e.currentTarget.value)} />
            <div class="row-actions end">
              <button type="submit" class="primary">
                Save labels
              </button>
            </div>
          </form>
        </Dialog>
      ) : null}
      {drained ? (
        <Dialog title={`Drained ${host.hostname}`} onClose={() => setDrained(null)}>
          <p>
            Cordoned. {drained.containers.length} containers would have to move
            {drained.containers.length ? ':' : '.'}
          </p>
          <ul>
            {drained.containers.map((c) => (
              <li key={c.id}>
                {c.name} ({c.runtime}, {c.state}){c.group ? `, group ${c.group}` : ''}
              </li>
            ))}
          </ul>
        </Dialog>
      ) : null}
    </div>
  );
}
