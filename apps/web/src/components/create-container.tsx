import type { PlacementReply } from '@corral/client';
import { CorralApiError } from '@corral/client';
import { useState } from 'preact/hooks';
import { client, messageOf } from '../api';
import { parseLabels, splitArgs } from '../lib/format';
import { Dialog } from './dialog';
import { notify } from './notices';

type Explanation = PlacementReply['placement']['explanation'];

interface Form {
  runtime: 'docker' | 'lxc';
  name: string;
  image: string;
  template: string;
  command: string;
  memoryMiB: string;
  cpus: string;
  replicas: string;
  strategy: 'spread' | 'binpack';
  group: string;
  constraints: string;
}

const EMPTY: Form = {
  runtime: 'docker',
  name: '',
  image: '',
  template: 'busybox',
  command: '',
  memoryMiB: '',
  cpus: '',
  replicas: '1',
  strategy: 'spread',
  group: '',
  constraints: '',
};

function request(f: Form): Record<string, unknown> {
  const spec: Record<string, unknown> =
    f.runtime === 'docker'
      ? { image: f.image.trim(), ...(f.name.trim() ? { name: f.name.trim() } : {}) }
      : { name: f.name.trim(), template: f.template.trim() || 'busybox' };
  if (f.runtime === 'docker' && f.command.trim()) spec.command = splitArgs(f.command);
  const resources: Record<string, number> = {};
  if (f.memoryMiB.trim()) resources.memoryBytes = Math.round(Number(f.memoryMiB) * 1024 * 1024);
  if (f.cpus.trim()) resources.cpus = Number(f.cpus);
  const constraints = Object.entries(parseLabels(f.constraints)).map(([label, value]) =>
    value ? { label, op: '=', value } : { label, op: 'exists' },
  );
  return {
    runtime: f.runtime,
    spec,
    resources,
    constraints,
    replicas: Number(f.replicas) || 1,
    strategy: f.strategy,
    ...(f.group.trim() ? { group: f.group.trim() } : {}),
  };
}

function explanationOf(err: unknown): Explanation | null {
  if (err instanceof CorralApiError && err.status === 409) {
    const body = err.body as { explanation?: Explanation; placement?: { explanation?: Explanation } };
    return body.explanation ?? body.placement?.explanation ?? null;
  }
  return null;
}

// Create with placement: the dry run's explanation is shown first, then the operator places it.
export function CreateContainer(props: { onClose: () => void }) {
  const [form, setForm] = useState<Form>(EMPTY);
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [fits, setFits] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof Form) => (e: Event) => {
    setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value });
    setExplanation(null);
  };
  const explain = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const reply = await client.place(request(form), { dryRun: true });
      setExplanation(reply.placement.explanation);
      setFits(true);
    } catch (err) {
      const found = explanationOf(err);
      setExplanation(found);
      setFits(false);
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const place = async () => {
    setBusy(true);
    try {
      const reply = await client.place(request(form), { wait: 0 });
      notify(`placement ${reply.placement.outcome}: ${reply.placement.explanation.summary}`);
      props.onClose();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const ex = explanation as {
    summary?: string;
    decisions?: {
      replica: number;
      hostname: string | null;
      score: number | null;
      candidates: { hostname: string; score: number }[];
    }[];
    reasons?: string[];
  } | null;
  return (
    <Dialog title="Create a container" onClose={props.onClose} wide>
      <form class="grid-form" onSubmit={explain}>
        <label for="cc-runtime">Runtime</label>
        <select id="cc-runtime" value={form.runtime} onChange={set('runtime')}>
          <option value="docker">Docker</option>
          <option value="lxc">LXC</option>
        </select>
        <label for="cc-name">Name</label>
        <input id="cc-name" value={form.name} onInput={set('name')} required={form.runtime === 'lxc'} />
        {form.runtime === 'docker' ? (
          <>
            <label for="cc-image">Image</label>
            <input id="cc-image" value={form.image} onInput={set('image')} required placeholder="busybox:latest" />
            <label for="cc-command">Command</label>
            <input id="cc-command" value={form.command} onInput={set('command')} placeholder="sleep 3600" />
          </>
        ) : (
          <>
            <label for="cc-template">Template</label>
            <input id="cc-template" value={form.template} onInput={set('template')} />
          </>
        )}
        <label for="cc-memory">Memory (MiB)</label>
        <input id="cc-memory" type="number" min={6} value={form.memoryMiB} onInput={set('memoryMiB')} />
        <label for="cc-cpus">CPUs</label>
        <input id="cc-cpus" type="number" min={0} step="0.1" value={form.cpus} onInput={set('cpus')} />
        <label for="cc-replicas">Replicas</label>
        <input id="cc-replicas" type="number" min={1} max={100} value={form.replicas} onInput={set('replicas')} />
        <label for="cc-strategy">Strategy</label>
        <select id="cc-strategy" value={form.strategy} onChange={set('strategy')}>
          <option value="spread">spread</option>
          <option value="binpack">binpack</option>
        </select>
        <label for="cc-group">Group</label>
        <input id="cc-group" value={form.group} onInput={set('group')} />
        <label for="cc-constraints">Host labels required (key=value, one a line)</label>
        <textarea id="cc-constraints" rows={2} value={form.constraints} onInput={set('constraints')} />
        <div class="span row-actions end">
          <button type="submit" disabled={busy}>
            Explain placement
          </button>
          <button type="button" class="primary" disabled={busy || !explanation || !fits} onClick={() => void place()}>
            Place
          </button>
        </div>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {ex ? (
        <section aria-label="Placement explanation" class="explanation">
          <h3>Explanation</h3>
          <p>{ex.summary}</p>
          <ul>
            {(ex.decisions ?? []).map((d) => (
              <li key={d.replica}>
                replica {d.replica}: {d.hostname ?? 'no host fits'}
                {d.score !== null ? ` (score ${d.score.toFixed(3)})` : ''}
                {d.candidates.length > 0
                  ? `; candidates ${d.candidates.map((c) => `${c.hostname} ${c.score.toFixed(3)}`).join(', ')}`
                  : ''}
              </li>
            ))}
          </ul>
          {(ex.reasons ?? []).length > 0 ? (
            <ul>
              {(ex.reasons ?? []).slice(0, 20).map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}
    </Dialog>
  );
}
