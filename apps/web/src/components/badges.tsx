// Status words with a colour; the word itself carries the meaning (never colour alone).
export function StateBadge(props: { state: string }) {
  return <span class={`badge state-${stateTone(props.state)}`}>{props.state}</span>;
}

export function stateTone(state: string): 'ok' | 'warn' | 'bad' | 'muted' {
  if (state === 'running' || state === 'online' || state === 'succeeded' || state === 'up') return 'ok';
  if (['exited', 'stopped', 'dead', 'offline', 'failed', 'timed_out', 'down'].includes(state)) return 'bad';
  if (['paused', 'frozen', 'restarting', 'starting', 'stopping', 'pending', 'sent', 'running_cmd'].includes(state))
    return 'warn';
  return 'muted';
}

export function Labels(props: { labels: Record<string, string> | null | undefined; max?: number }) {
  const entries = Object.entries(props.labels ?? {});
  if (entries.length === 0) return <span class="muted">—</span>;
  const shown = entries.slice(0, props.max ?? entries.length);
  return (
    <span class="labels">
      {shown.map(([k, v]) => (
        <span class="label" key={k}>
          {v ? `${k}=${v}` : k}
        </span>
      ))}
      {entries.length > shown.length ? <span class="muted">+{entries.length - shown.length}</span> : null}
    </span>
  );
}
