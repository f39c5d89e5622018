import {
  type ClientExecStart,
  type ClientLogsStart,
  decodeClientData,
  encodeClientData,
  type ServerStarted,
  ServerStreamMessageSchema,
  STREAM_CHUNK_BYTES,
  STREAM_DEFAULT_WINDOW,
  type StreamErrorCode,
} from '@corral/protocol';
import type NodeWebSocket from 'ws';
import { CorralApiError } from './client.js';

export type ExecStreamInput = Omit<ClientExecStart, 'type'>;
export type LogsStreamInput = Omit<ClientLogsStart, 'type'>;

// How a stream ended: the process exited, the controller or agent reported an error, or the
// socket closed without either (the controller went away).
export type StreamOutcome =
  | { kind: 'exit'; exitCode: number | null; signal: string | null }
  | { kind: 'error'; code: StreamErrorCode; message: string; retryable: boolean }
  | { kind: 'closed'; code: number; reason: string };

export interface StreamHandlers {
  // Output in order. A returned promise holds back credit until it settles, so a slow consumer
  // (a terminal, a pipe) pauses the process instead of filling memory.
  onOutput(channel: 'stdout' | 'stderr', data: Uint8Array): void | Promise<void>;
}

// What a stream needs of its WebSocket: the ws package's in Node (headers carry the token), the
// browser's own in a page (the session cookie goes along; a page can set no header of its own).
interface StreamSocket {
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
  readonly open: boolean;
  readonly closing: boolean;
  onMessage(handler: (data: Uint8Array | string) => void): void;
  onClose(handler: (code: number, reason: string) => void): void;
}

function nodeSocket(socket: NodeWebSocket): StreamSocket {
  return {
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
    get open() {
      return socket.readyState === socket.OPEN;
    },
    get closing() {
      return socket.readyState === socket.CLOSING || socket.readyState === socket.CLOSED;
    },
    onMessage: (handler) =>
      socket.on('message', (data: Buffer, isBinary: boolean) => handler(isBinary ? data : data.toString('utf8'))),
    onClose: (handler) => socket.on('close', (code: number, reason: Buffer) => handler(code, reason.toString())),
  };
}

function browserSocket(socket: WebSocket): StreamSocket {
  socket.binaryType = 'arraybuffer';
  return {
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
    get open() {
      return socket.readyState === WebSocket.OPEN;
    },
    get closing() {
      return socket.readyState === WebSocket.CLOSING || socket.readyState === WebSocket.CLOSED;
    },
    onMessage: (handler) =>
      socket.addEventListener('message', (e: MessageEvent<ArrayBuffer | string>) =>
        handler(typeof e.data === 'string' ? e.data : new Uint8Array(e.data)),
      ),
    onClose: (handler) => socket.addEventListener('close', (e) => handler(e.code, e.reason)),
  };
}

// An open exec or logs stream.
export class ContainerStreamConnection {
  readonly done: Promise<StreamOutcome>;
  started!: ServerStarted;
  private stdinCredit = 0;
  private readonly stdinWaiters: (() => void)[] = [];
  private consumed = 0;
  private outcome: StreamOutcome | null = null;
  private settle!: (outcome: StreamOutcome) => void;
  // Output handed to the consumer and not yet taken (its promise pending).
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly socket: StreamSocket,
    private readonly window: number,
    private readonly handlers: StreamHandlers,
  ) {
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  // Sends stdin, in frames the agent's credit allows; resolves once it was handed to the socket.
  async write(data: Uint8Array): Promise<void> {
    for (let offset = 0; offset < data.length; ) {
      if (this.outcome) return;
      if (this.stdinCredit <= 0) {
        await new Promise<void>((resolve) => this.stdinWaiters.push(resolve));
        continue;
      }
      const size = Math.min(STREAM_CHUNK_BYTES, this.stdinCredit, data.length - offset);
      this.stdinCredit -= size;
      this.socket.send(encodeClientData('stdin', data.subarray(offset, offset + size)));
      offset += size;
    }
  }

  resize(cols: number, rows: number): void {
    this.sendJson({ type: 'resize', cols, rows });
  }

  eof(): void {
    this.sendJson({ type: 'eof' });
  }

  // Leaves the stream; the process is killed.
  close(): void {
    if (!this.socket.closing) this.socket.close(1000, 'client closed');
  }

  // Internal: wired by the opener.
  attach(onStarted: (info: ServerStarted) => void, onFailedStart: (outcome: StreamOutcome) => void): void {
    let started = false;
    this.socket.onMessage((data) => {
      if (typeof data !== 'string') {
        const decoded = decodeClientData(data, ['stdout', 'stderr']);
        if (!decoded.ok) return;
        const size = decoded.payload.length;
        // A view of the message the socket handed over (each message has its own buffer): no copy.
        const payload = decoded.payload;
        // Output is handed over at once and in order (several writes may be in flight, as with any
        // stream); its credit goes back once the consumer has taken it.
        const taken = Promise.resolve(this.handlers.onOutput(decoded.channel as 'stdout' | 'stderr', payload)).then(
          () => {
            this.inFlight.delete(taken);
            this.grant(size);
          },
        );
        this.inFlight.add(taken);
        return;
      }
      const parsed = ServerStreamMessageSchema.safeParse(JSON.parse(data));
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'started') {
        started = true;
        this.started = message;
        this.stdinCredit = message.stdinWindow;
        onStarted(message);
      } else if (message.type === 'credit') {
        this.stdinCredit += message.bytes;
        for (const wake of this.stdinWaiters.splice(0)) wake();
      } else if (message.type === 'exit') {
        this.finish({ kind: 'exit', exitCode: message.exitCode, signal: message.signal });
      } else {
        const outcome = {
          kind: 'error' as const,
          code: message.code,
          message: message.message,
          retryable: message.retryable,
        };
        if (!started) onFailedStart(outcome);
        this.finish(outcome);
      }
    });
    this.socket.onClose((code, reason) => {
      const outcome = { kind: 'closed' as const, code, reason };
      if (!started) onFailedStart(outcome);
      this.finish(outcome);
    });
  }

  private finish(outcome: StreamOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    for (const wake of this.stdinWaiters.splice(0)) wake();
    // Output already received is handed over before the outcome.
    void Promise.all([...this.inFlight]).then(() => this.settle(outcome));
  }

  private grant(bytes: number): void {
    this.consumed += bytes;
    if (this.consumed < this.window / 4) return;
    this.sendJson({ type: 'credit', bytes: this.consumed });
    this.consumed = 0;
  }

  private sendJson(message: object): void {
    if (this.socket.open) this.socket.send(JSON.stringify(message));
  }
}

export interface StreamConnectOptions {
  baseUrl: string;
  headers: Record<string, string>;
}

// In a page the browser's WebSocket is used, and the page's session cookie authenticates it.
const IN_BROWSER = typeof window !== 'undefined' && typeof window.WebSocket === 'function';

// Opens /api/v1/containers/{ref}/{kind}/stream, sends the start frame and resolves once the
// process runs. A refused upgrade throws CorralApiError with the API's status and body (in a
// browser, which shows no refused upgrade's answer, CorralStreamError with close code 1006); a
// stream that fails to start throws CorralStreamError.
export async function openContainerStream(
  connect: StreamConnectOptions,
  kind: 'exec' | 'logs',
  ref: string,
  start: ExecStreamInput | LogsStreamInput,
  handlers: StreamHandlers,
): Promise<ContainerStreamConnection> {
  const path = `/api/v1/containers/${encodeURIComponent(ref)}/${kind}/stream`;
  const url = `${connect.baseUrl.replace(/^http/, 'ws')}${path}`;
  const window = start.window ?? STREAM_DEFAULT_WINDOW;
  const startFrame = JSON.stringify({ ...start, type: `${kind}.start`, window });
  const opened = IN_BROWSER ? openBrowserSocket(url) : await openNodeSocket(url, path, connect.headers);
  const connection = new ContainerStreamConnection(opened.socket, window, handlers);
  const started = new Promise<void>((resolve, reject) =>
    connection.attach(
      () => resolve(),
      (outcome) => reject(new CorralStreamError(outcome)),
    ),
  );
  started.catch(() => undefined);
  await opened.ready;
  opened.socket.send(startFrame);
  await started;
  return connection;
}

async function openNodeSocket(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ socket: StreamSocket; ready: Promise<void> }> {
  // ws is loaded on demand: a page's bundle never needs it.
  const { default: WebSocketImpl } = await import('ws');
  const socket = new WebSocketImpl(url, { headers, maxPayload: STREAM_CHUNK_BYTES + 1024 * 64 });
  // The upgrade's own failure wins over the close that follows it.
  let refused: Error | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: the text is the message.
        }
        refused = new CorralApiError(res.statusCode ?? 0, body, 'GET', path);
        reject(refused);
        socket.terminate();
      });
    });
    socket.once('error', (err) => reject(refused ?? err));
  });
  return { socket: nodeSocket(socket), ready };
}

function openBrowserSocket(url: string): { socket: StreamSocket; ready: Promise<void> } {
  const socket = new WebSocket(url);
  const wrapped = browserSocket(socket);
  const ready = new Promise<void>((resolve, reject) => {
    const opened = () => {
      socket.removeEventListener('close', refused);
      resolve();
    };
    // The browser shows a page neither the status nor the body of a refused upgrade.
    const refused = () =>
      reject(
        new CorralStreamError({
          kind: 'closed',
          code: 1006,
          reason: 'the controller refused the stream (signed out, a role too low, or no such container)',
        }),
      );
    socket.addEventListener('open', opened, { once: true });
    socket.addEventListener('close', refused, { once: true });
  });
  return { socket: wrapped, ready };
}

// A stream that could not start: what the controller or agent said, or how the socket closed.
export class CorralStreamError extends Error {
  override readonly name = 'CorralStreamError';
  constructor(readonly outcome: StreamOutcome) {
    super(
      outcome.kind === 'error'
        ? outcome.message
        : outcome.kind === 'closed'
          ? `the stream closed (${outcome.code}${outcome.reason ? `: ${outcome.reason}` : ''})`
          : 'the process exited',
    );
  }
}
