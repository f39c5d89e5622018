import type { ClientStreamMessage, StreamErrorCode } from '@corral/protocol';
import {
  decodeClientData,
  encodeClientData,
  ServerStreamMessageSchema,
  STREAM_CHUNK_BYTES,
  STREAM_MAX_WINDOW,
} from '@corral/protocol';
import WebSocket, { type RawData } from 'ws';
import {
  type StreamHandle,
  type StreamOpenRequest,
  type StreamRelay,
  type StreamSink,
  StreamUnavailableError,
} from '../services/stream-relay.js';
import { encodeStreamSubject, INTERNAL_STREAMS_PATH, STREAM_SUBJECT_HEADER } from './internal-stream.js';
import { type ReplicaTlsOptions, replicaWsUrl } from './replica-tls.js';

// An internal socket that does not open within this long is taken for a replica that is gone.
const CONNECT_TIMEOUT_MS = 10_000;

export interface Holder {
  replicaId: string;
  url: string;
}

// One stream whose agent is (probably) on another replica. Until the route is known, what the
// client sends is kept (the latest resize, EOF, the credit granted: stdin cannot come before
// `started`); then it goes to this process's relay (the agent arrived here meanwhile) or over an
// internal WebSocket to the holding replica, as client-socket frames. Output credit is held to one
// window here too, so this hop buffers no more than the others. The sink hears exactly one end.
export class RemoteStream {
  readonly handle: StreamHandle;
  private target: StreamHandle | null = null;
  private socket: WebSocket | null = null;
  private holder: Holder | null = null;
  private ended = false;
  private left = false;
  private started = false;
  // Output credit given toward the agent and not yet used.
  private outstanding: number;
  private pending: { credit: number; resize: [number, number] | null; eof: boolean } = {
    credit: 0,
    resize: null,
    eof: false,
  };

  constructor(
    private readonly request: StreamOpenRequest,
    private readonly sink: StreamSink,
    private readonly onEnd: () => void,
  ) {
    this.outstanding = Math.min(request.window, STREAM_MAX_WINDOW);
    this.handle = {
      input: (payload) => this.target?.input(payload),
      resize: (cols, rows) => {
        if (this.target) this.target.resize(cols, rows);
        else this.pending.resize = [cols, rows];
      },
      eof: () => {
        if (this.target) this.target.eof();
        else this.pending.eof = true;
      },
      credit: (bytes) => {
        const grant = Math.min(bytes, STREAM_MAX_WINDOW - this.outstanding);
        if (grant <= 0) return;
        this.outstanding += grant;
        if (this.target) this.target.credit(grant);
        else this.pending.credit += grant;
      },
      close: (reason) => {
        if (this.left) return;
        this.left = true;
        this.ended = true;
        if (this.target) this.target.close(reason);
        else this.socket?.terminate();
        this.onEnd();
      },
    };
  }

  // The client left, or the stream ended: nothing more to route.
  get closed(): boolean {
    return this.ended;
  }

  fail(code: StreamErrorCode, message: string, retryable: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    this.sink.error(code, message, retryable);
  }

  // The agent is connected to this process after all.
  attachLocal(relay: StreamRelay): void {
    try {
      this.attach(relay.open(this.request, this.endingSink()));
    } catch (error) {
      if (!(error instanceof StreamUnavailableError)) throw error;
      this.fail(error.code, error.message, error.code === 'host_offline');
    }
  }

  connect(holder: Holder, headers: Record<string, string>, tls: ReplicaTlsOptions): void {
    this.holder = holder;
    const socket = new WebSocket(replicaWsUrl(holder.url, INTERNAL_STREAMS_PATH), {
      headers: { ...headers, [STREAM_SUBJECT_HEADER]: encodeStreamSubject(this.request) },
      maxPayload: STREAM_CHUNK_BYTES + 1024,
      handshakeTimeout: CONNECT_TIMEOUT_MS,
      // Node's HTTP client takes createConnection(options, callback); the ws typings only know the sync form.
      ...(tls as WebSocket.ClientOptions),
    });
    this.socket = socket;
    socket.binaryType = 'nodebuffer';
    socket.on('unexpected-response', (_req, res) => {
      const hint = res.statusCode === 401 ? ' (the replicas do not share the replica secret)' : '';
      this.fail('internal', `${this.name()} refused the relayed stream: HTTP ${res.statusCode}${hint}`, false);
      socket.terminate();
    });
    socket.on('open', () => {
      if (this.ended) {
        socket.close(1000, 'the client left');
        return;
      }
      // The first window; credit the client gave meanwhile follows as credit.
      const { kind, params, window } = this.request;
      socket.send(JSON.stringify({ type: `${kind}.start`, ...params, window: Math.min(window, STREAM_MAX_WINDOW) }));
      this.attach(this.socketHandle(socket));
    });
    socket.on('message', (data: RawData, isBinary: boolean) => this.message(data as Buffer, isBinary));
    let failure = '';
    socket.on('error', (error: Error) => {
      failure = error.message;
    });
    socket.on('close', (code: number, reason: Buffer) => {
      const why = reason.toString() || failure || `close code ${code}`;
      if (!this.started) {
        this.fail('host_offline', `${this.name()}, which holds the host's agent, could not be reached (${why})`, true);
      } else {
        this.fail(
          'agent_disconnected',
          `the connection to ${this.name()}, which holds the host's agent, dropped (${why}); the process was ended`,
          true,
        );
      }
    });
  }

  private name(): string {
    return this.holder ? `controller replica ${this.holder.replicaId} (${this.holder.url})` : 'the holding replica';
  }

  private attach(target: StreamHandle): void {
    this.target = target;
    const { credit, resize, eof } = this.pending;
    if (resize) target.resize(resize[0], resize[1]);
    if (credit > 0) target.credit(credit);
    if (eof) target.eof();
  }

  // What the holding replica sends: the client-socket frames.
  private message(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    if (isBinary) {
      const decoded = decodeClientData(data, ['stdout', 'stderr']);
      if (!decoded.ok) {
        this.broken(decoded.message);
        return;
      }
      if (decoded.payload.length > this.outstanding) {
        this.broken('output past the credit');
        return;
      }
      this.outstanding -= decoded.payload.length;
      this.sink.output(decoded.channel as 'stdout' | 'stderr', decoded.payload, data);
      return;
    }
    let parsed: ReturnType<typeof ServerStreamMessageSchema.safeParse>;
    try {
      parsed = ServerStreamMessageSchema.safeParse(JSON.parse(data.toString('utf8')));
    } catch {
      this.broken('a text frame that is not JSON');
      return;
    }
    if (!parsed.success) {
      this.broken(`a frame that is not a stream message: ${parsed.error.message}`);
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'started':
        this.started = true;
        this.sink.opened(message.stdinWindow);
        return;
      case 'credit':
        this.sink.credit(message.bytes);
        return;
      case 'exit':
        this.ended = true;
        this.onEnd();
        this.sink.exit(message.exitCode, message.signal);
        this.socket?.close(1000, 'exited');
        return;
      case 'error':
        this.ended = true;
        this.onEnd();
        this.sink.error(message.code, message.message, message.retryable);
        this.socket?.close(1000, 'ended');
        return;
    }
  }

  private broken(what: string): void {
    this.fail('internal', `${this.name()} sent ${what}; the stream was ended`, false);
    this.socket?.close(4500, 'bad frame');
  }

  private socketHandle(socket: WebSocket): StreamHandle {
    const send = (message: ClientStreamMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    return {
      input: (payload) => socket.readyState === socket.OPEN && socket.send(encodeClientData('stdin', payload)),
      resize: (cols, rows) => send({ type: 'resize', cols, rows }),
      eof: () => send({ type: 'eof' }),
      credit: (bytes) => send({ type: 'credit', bytes }),
      close: (reason) => socket.close(1000, reason.slice(0, 120)),
    };
  }

  // The sink of a stream relayed locally: its end ends this too.
  private endingSink(): StreamSink {
    return {
      opened: (w) => this.sink.opened(w),
      output: (channel, payload, frame) => this.sink.output(channel, payload, frame),
      credit: (bytes) => this.sink.credit(bytes),
      exit: (code, signal) => {
        this.ended = true;
        this.onEnd();
        this.sink.exit(code, signal);
      },
      error: (code, message, retryable) => this.fail(code, message, retryable),
    };
  }
}
