import { type ContainerStreamConnection, CorralStreamError, type StreamOutcome } from '@corral/client';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { client, messageOf } from '../api';
import { splitArgs } from '../lib/format';
import { outcomeText } from '../lib/stream-outcome';

type Phase = 'idle' | 'connecting' | 'open';

// An interactive terminal in a container: xterm.js over the exec stream (a pseudo-terminal in the
// container, like docker exec -it). Keys go in as typed, the terminal's size follows the dialog,
// and how the process ended is shown. Closing the dialog ends the process.
export function TerminalPanel(props: { containerId: string; containerName: string }) {
  const [line, setLine] = useState('sh');
  const [phase, setPhase] = useState<Phase>('idle');
  const [status, setStatus] = useState('Not connected.');
  const screen = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const conn = useRef<ContainerStreamConnection | null>(null);

  useEffect(() => {
    const t = new Terminal({
      cursorBlink: true,
      convertEol: false,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: { background: '#10141a', foreground: '#e6e9ef' },
    });
    const fit = new FitAddon();
    t.loadAddon(fit);
    t.open(screen.current!);
    fit.fit();
    term.current = t;
    const encoder = new TextEncoder();
    const send = (bytes: Uint8Array) => {
      conn.current?.write(bytes).catch(() => {});
    };
    const typed = t.onData((data) => send(encoder.encode(data)));
    // Some mouse reports are bytes, not text.
    const binary = t.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    const resized = t.onResize(({ cols, rows }) => {
      conn.current?.resize(cols, rows);
      setStatus((s) => s.replace(/\d+×\d+/, `${cols}×${rows}`));
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(screen.current!);
    return () => {
      observer.disconnect();
      typed.dispose();
      binary.dispose();
      resized.dispose();
      conn.current?.close();
      conn.current = null;
      t.dispose();
      term.current = null;
    };
  }, []);

  const connect = async (e: Event) => {
    e.preventDefault();
    const t = term.current;
    const command = splitArgs(line);
    if (!t || command.length === 0 || phase !== 'idle') return;
    setPhase('connecting');
    setStatus(`Connecting to ${props.containerName}…`);
    t.reset();
    try {
      const c = await client.execStream(
        props.containerId,
        { command, tty: true, stdin: true, cols: t.cols, rows: t.rows, env: { TERM: 'xterm-256color' } },
        // Credit goes back once xterm has drawn the output: a flood pauses the process.
        { onOutput: (_channel, data) => new Promise<void>((resolve) => t.write(data, resolve)) },
      );
      conn.current = c;
      setPhase('open');
      setStatus(`Connected to ${props.containerName} on ${c.started.hostname}, ${t.cols}×${t.rows}.`);
      t.focus();
      void c.done.then((outcome: StreamOutcome) => {
        if (conn.current !== c) return;
        conn.current = null;
        const text = outcomeText(outcome);
        t.write(`\r\n[${text}]\r\n`);
        setStatus(`${text[0]!.toUpperCase()}${text.slice(1)}.`);
        setPhase('idle');
      });
    } catch (err) {
      const text = err instanceof CorralStreamError ? outcomeText(err.outcome) : messageOf(err);
      setStatus(`Could not connect: ${text}`);
      setPhase('idle');
    }
  };

  return (
    <div class="exec">
      <form class="inline-form" onSubmit={connect}>
        <label for="exec-command">Command</label>
        <input
          id="exec-command"
          value={line}
          onInput={(e) => setLine(e.currentTarget.value)}
          autocomplete="off"
          spellcheck={false}
          disabled={phase !== 'idle'}
        />
        {phase === 'open' ? (
          <button type="button" onClick={() => conn.current?.close()}>
            Disconnect
          </button>
        ) : (
          <button type="submit" disabled={phase === 'connecting'}>
            {phase === 'connecting' ? 'Connecting…' : 'Connect'}
          </button>
        )}
      </form>
      <p class="muted term-status" role="status" aria-live="polite">
        {status}
      </p>
      <section class="xterm-host" ref={screen} aria-label={`Terminal in ${props.containerName}`} />
    </div>
  );
}
