import { randomUUID } from 'node:crypto';
import {
  ClientStreamMessageSchema,
  type CommandTarget,
  decodeClientData,
  describeZodError,
  type ServerStreamMessage,
  STREAM_CLOSE,
  type StreamErrorCode,
} from '@corral/protocol';
import type { RawData, WebSocket } from 'ws';
import type { StreamHandle, StreamOpenRequest, StreamRelay } from '../services/stream-relay.js';
import { StreamUnavailableError } from '../services/stream-relay.js';

// The container a client socket was opened on, as the upgrade resolved it.
export interface StreamSubject {
  kind: 'exec' | 'logs';
  containerId: string;
  name: string;
  hostId: string;
  hostname: string;
  target: Extract<CommandTarget, { kind: 'container' }>;
}

export interface StreamEnd {
  outcome: string;
  exitCode: number | null;
  bytesOut: number;
  bytesIn: number;
  durationMs: number;
}

// A client has this long to send its start frame.
const START_TIMEOUT_MS = 10_000;

const CLOSE_OF: Partial<Record<StreamErrorCode, number>> = {
  invalid_params: STREAM_CLOSE.invalid,
  not_found: STREAM_CLOSE.notFound,
  agent_disconnected: STREAM_CLOSE.agentGone,
  host_offline: STREAM_CLOSE.hostOffline,
  flow_control: STREAM_CLOSE.flowControl,
  unauthorized: STREAM_CLOSE.unauthorized,
};

// One client's stream socket: waits for its start frame, opens the stream through the relay, and
// moves frames both ways, holding the client to the stdin credit the agent gave. Ends once, with
// the process's exit, an error, the client leaving, or end(reason) (its token no longer holds).
export class ClientStream {
  private handle: StreamHandle | null = null;
  private stdin = false;
  private stdinCredit = 0;
  private ended = false;
  private readonly startedAt = Date.now();
  private bytesOut = 0;
  private bytesIn = 0;
  private readonly startTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly subject: StreamSubject,
    private readonly relay: StreamRelay,
    private readonly onEnd: (end: StreamEnd) => void,
    // Chosen by the replica that took the client's socket when this one relays it for another.
    readonly streamId: string = randomUUID(),
  ) {
    this.startTimer = setTimeout(() => this.fail('invalid_params', 'no start frame within 10 s'), START_TIMEOUT_MS);
    this.startTimer.unref();
    socket.on('message', (data: RawData, isBinary: boolean) => this.message(toBytes(data), isBinary));
    socket.on('close', () => this.finish('client left', null, () => this.handle?.close('the client left')));
    socket.on('error', () => socket.terminate());
  }

  // The token stopped holding, or the controller is stopping.
  end(code: StreamErrorCode, reason: string): void {
    this.fail(code, reason);
  }

  private message(data: Uint8Array, isBinary: boolean): void {
    if (this.ended) return;
    if (isBinary) {
      this.input(data);
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch {
      this.fail('invalid_params', 'a text frame must be a JSON object');
      return;
    }
    const parsed = ClientStreamMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.fail('invalid_params', describeZodError(parsed.error).message);
      return;
    }
    const message = parsed.data;
    if (message.type === 'exec.start' || message.type === 'logs.start') {
      if (this.handle) {
        this.fail('invalid_params', 'the stream was already started');
        return;
      }
      if (message.type !== `${this.subject.kind}.start`) {
        this.fail('invalid_params', `this socket takes ${this.subject.kind}.start, not ${message.type}`);
        return;
      }
      const { type: _, window, ...params } = message;
      this.start({ ...params, window } as StreamOpenRequest['params'] & { window: number });
      return;
    }
    if (!this.handle) {
      this.fail('invalid_params', `send ${this.subject.kind}.start first`);
      return;
    }
    if (message.type === 'resize') this.handle.resize(message.cols, message.rows);
    else if (message.type === 'eof') this.handle.eof();
    else this.handle.credit(message.bytes);
  }

  private start(params: StreamOpenRequest['params'] & { window: number }): void {
    clearTimeout(this.startTimer);
    const { window, ...rest } = params;
    this.stdin = this.subject.kind === 'exec' && (rest as { stdin?: boolean }).stdin === true;
    const request = {
      streamId: this.streamId,
      hostId: this.subject.hostId,
      target: this.subject.target,
      window,
      kind: this.subject.kind,
      params: rest,
    } as StreamOpenRequest;
    try {
      this.handle = this.relay.open(request, {
        opened: (stdinWindow) => {
          this.stdinCredit = this.stdin ? stdinWindow : 0;
          const s = this.subject;
          this.send({
            type: 'started',
            streamId: this.streamId,
            containerId: s.containerId,
            name: s.name,
            hostId: s.hostId,
            hostname: s.hostname,
            runtime: s.target.runtime,
            stdinWindow: this.stdinCredit,
          });
        },
        output: (_channel, payload, clientFrame) => {
          this.bytesOut += payload.length;
          if (this.socket.readyState === this.socket.OPEN) this.socket.send(clientFrame);
        },
        credit: (bytes) => {
          if (!this.stdin) return;
          this.stdinCredit += bytes;
          this.send({ type: 'credit', bytes });
        },
        exit: (exitCode, signal) => {
          this.send({ type: 'exit', exitCode, signal });
          this.finish(exitCode === null ? `ended by ${signal ?? 'a signal'}` : `exited ${exitCode}`, exitCode, () =>
            this.socket.close(STREAM_CLOSE.exited, 'exited'),
          );
        },
        error: (code, message, retryable) => this.fail(code, message, retryable, false),
      });
    } catch (error) {
      if (!(error instanceof StreamUnavailableError)) throw error;
      this.fail(error.code, error.message, error.code === 'host_offline');
    }
  }

  private input(data: Uint8Array): void {
    if (!this.handle) {
      this.fail('invalid_params', `send ${this.subject.kind}.start before any data`);
      return;
    }
    if (!this.stdin) {
      this.fail('invalid_params', 'this stream was started without stdin');
      return;
    }
    const decoded = decodeClientData(data, ['stdin']);
    if (!decoded.ok) {
      this.fail('invalid_params', decoded.message);
      return;
    }
    if (decoded.payload.length > this.stdinCredit) {
      this.fail(
        'flow_control',
        `stdin frame of ${decoded.payload.length} bytes exceeds the credit of ${this.stdinCredit}`,
      );
      return;
    }
    this.stdinCredit -= decoded.payload.length;
    this.bytesIn += decoded.payload.length;
    this.handle.input(decoded.payload);
  }

  private fail(code: StreamErrorCode, message: string, retryable = false, closeRelay = true): void {
    if (this.ended) return;
    this.send({ type: 'error', code, message, retryable });
    this.finish(code, null, () => {
      if (closeRelay) this.handle?.close(message);
      // Close reasons are limited to 123 bytes; the error frame before it has the whole message.
      this.socket.close(CLOSE_OF[code] ?? STREAM_CLOSE.failed, message.slice(0, 120));
    });
  }

  private finish(outcome: string, exitCode: number | null, then: () => void): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.startTimer);
    then();
    this.onEnd({
      outcome,
      exitCode,
      bytesOut: this.bytesOut,
      bytesIn: this.bytesIn,
      durationMs: Date.now() - this.startedAt,
    });
  }

  private send(message: ServerStreamMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}
