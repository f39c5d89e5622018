import { type ContainerStreamConnection, CorralStreamError } from '@corral/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { client, messageOf } from '../api';
import { LogBuffer } from '../lib/log-buffer';
import { outcomeText } from '../lib/stream-outcome';

// Lines kept on the page; older ones scroll away.
const KEPT_LINES = 5000;
// The page redraws the log at most this often, however fast lines arrive.
const DRAW_MS = 100;

// The container's log over the log stream: the last lines, then new ones as they are written (like
// docker logs -f). The text is rendered as text; the page keeps the last 5,000 lines.
export function LogsPanel(props: { containerId: string; containerName: string }) {
  const [tail, setTail] = useState(200);
  const [follow, setFollow] = useState(true);
  const [text, setText] = useState('');
  const [status, setStatus] = useState('Connecting…');
  const [generation, setGeneration] = useState(0);
  const output = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const buffer = new LogBuffer(KEPT_LINES);
    let conn: ContainerStreamConnection | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let left = false;
    const draw = () => {
      timer = null;
      const el = output.current;
      // Stay at the bottom when the reader was there; leave them where they are otherwise.
      const atBottom = !el || el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      setText(buffer.text());
      if (atBottom && el) requestAnimationFrame(() => el.scrollTo({ top: el.scrollHeight }));
    };
    setText('');
    setStatus('Connecting…');
    client
      .logsStream(
        props.containerId,
        { follow, tail, timestamps: false },
        {
          onOutput: (channel, data) => {
            buffer.append(channel, data);
            timer ??= setTimeout(draw, DRAW_MS);
          },
        },
      )
      .then(
        (c) => {
          if (left) {
            c.close();
            return;
          }
          conn = c;
          setStatus(follow ? 'Following: new lines appear as they are written.' : 'The log up to now.');
          void c.done.then((outcome) => {
            if (left) return;
            draw();
            setStatus(
              outcome.kind === 'exit'
                ? `The log ended (${buffer.lineCount} lines).`
                : `The log stream ${outcomeText(outcome)}.`,
            );
          });
        },
        (err: unknown) => {
          if (left) return;
          setStatus(
            `Could not read the log: ${err instanceof CorralStreamError ? outcomeText(err.outcome) : messageOf(err)}`,
          );
        },
      );
    return () => {
      left = true;
      if (timer) clearTimeout(timer);
      conn?.close();
    };
  }, [props.containerId, generation]);

  return (
    <div>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setGeneration((g) => g + 1);
        }}
      >
        <label for="logs-tail">Lines</label>
        <input
          id="logs-tail"
          type="number"
          min={0}
          max={100000}
          value={tail}
          onInput={(e) => setTail(Number(e.currentTarget.value))}
        />
        <label class="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
          Follow
        </label>
        <button type="submit">Reload</button>
      </form>
      <p class="muted term-status" role="status" aria-live="polite">
        {status}
      </p>
      <pre ref={output} role="log" class="terminal" tabIndex={0} aria-label={`Log of ${props.containerName}`}>
        {text}
      </pre>
    </div>
  );
}
