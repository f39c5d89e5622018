import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { TerminalPanel } from './terminal-panel';

type Props = Parameters<typeof TerminalPanel>[0];

// xterm.js is most of the page's script: it is fetched when a terminal is first opened, so the
// fleet and container pages load without it.
export function LazyTerminalPanel(props: Props) {
  const [Panel, setPanel] = useState<ComponentType<Props> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    import('./terminal-panel').then(
      (m) => setPanel(() => m.TerminalPanel),
      (err: unknown) => setError(`The terminal could not be loaded: ${String(err)}`),
    );
  }, []);
  if (error) {
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  }
  return Panel ? <Panel {...props} /> : <p>Loading the terminal…</p>;
}
