import {
  type AgentMessage,
  type ControllerMessage,
  decodeStreamData,
  encodeStreamData,
  STREAM_STDIN_WINDOW,
  type StreamErrorCode,
  streamCapability,
} from '@corral/protocol';
import { engineMessage } from '../executor/errors.js';
import type { Logger } from '../lib/logger.js';
import { OutputWindow } from './output-window.js';
import {
  type ContainerTarget,
  type ExecStarter,
  type LogsStarter,
  StreamFailure,
  type StreamProcess,
} from './stream-process.js';

export type ControllerStreamMessage = Extract<ControllerMessage, { type: `stream.${string}` }>;

// The session, as streams need it: frames go out only while the socket is open.
export interface StreamLink {
  sendText(message: AgentMessage): boolean;
  sendBinary(frame: Uint8Array): boolean;
}

export interface StreamManagerOptions {
  exec: Partial<Record<'docker' | 'lxc', ExecStarter>>;
  logs: Partial<Record<'docker' | 'lxc', LogsStarter>>;
  link: StreamLink;
  logger: Logger;
  maxStreams?: number;
}

// stdin credit is given back in batches of this much, or after this long, whichever comes first.
const CREDIT_BATCH = STREAM_STDIN_WINDOW / 4;
const CREDIT_DELAY_MS = 20;

interface AgentStream {
  id: string;
  stdin: boolean;
  process: StreamProcess | null;
  window: OutputWindow;
  stdinCredit: number;
  stdinToReturn: number;
  creditTimer: NodeJS.Timeout | null;
  // Set once the process exited; sent when the output before it has been.
  exit: AgentMessage | null;
  closed: boolean;
}

// Runs the agent's side of exec and log streams: starts the process on open, moves its output out
// as far as the controller's credit goes, feeds stdin within the credit it granted, passes resizes
// and EOF, and kills the process when the stream is closed or the connection drops.
export class StreamManager {
  private readonly streams = new Map<string, AgentStream>();

  constructor(private readonly opts: StreamManagerOptions) {}

  capabilities(): string[] {
    const caps: string[] = [];
    for (const runtime of ['docker', 'lxc'] as const) {
      if (this.opts.exec[runtime]) caps.push(streamCapability('exec', runtime));
      if (this.opts.logs[runtime]) caps.push(streamCapability('logs', runtime));
    }
    return caps;
  }

  get size(): number {
    return this.streams.size;
  }

  handle(message: ControllerStreamMessage): void {
    switch (message.type) {
      case 'stream.exec.open':
        this.open(message.streamId, message.target, message.window, message.params.stdin, () =>
          this.starter('exec', message.target)(message.target, message.params, (ch, chunk) =>
            this.output(message.streamId, ch, chunk),
          ),
        );
        return;
      case 'stream.logs.open':
        this.open(message.streamId, message.target, message.window, false, () =>
          this.starter('logs', message.target)(message.target, message.params, (ch, chunk) =>
            this.output(message.streamId, ch, chunk),
          ),
        );
        return;
      case 'stream.credit':
        this.streams.get(message.streamId)?.window.grant(message.bytes);
        return;
      case 'stream.resize':
        this.streams.get(message.streamId)?.process?.resize(message.cols, message.rows);
        return;
      case 'stream.eof':
        this.streams.get(message.streamId)?.process?.eof();
        return;
      case 'stream.close':
        this.close(message.streamId, message.reason);
    }
  }

  // A binary frame: stdin for one stream.
  data(frame: Uint8Array): void {
    const decoded = decodeStreamData(frame, ['stdin']);
    if (!decoded.ok) {
      this.opts.link.sendText(decoded.error);
      return;
    }
    const stream = this.streams.get(decoded.streamId);
    if (!stream || stream.closed) return;
    if (!stream.stdin) {
      this.fail(stream, 'invalid_params', 'this stream was opened without stdin');
      return;
    }
    if (decoded.payload.length > stream.stdinCredit) {
      this.fail(stream, 'flow_control', `stdin frame of ${decoded.payload.length} bytes exceeds the credit`);
      return;
    }
    stream.stdinCredit -= decoded.payload.length;
    const size = decoded.payload.length;
    // Copied: the frame's buffer belongs to the socket.
    stream.process?.write(Buffer.from(decoded.payload)).then(
      () => this.returnCredit(stream, size),
      (error: unknown) => this.opts.logger.warn('stdin write failed', { streamId: stream.id, error }),
    );
  }

  // The connection to the controller dropped: nobody reads these streams any more.
  closeAll(reason: string): void {
    for (const id of [...this.streams.keys()]) this.close(id, reason);
  }

  private starter<K extends 'exec' | 'logs'>(kind: K, target: ContainerTarget) {
    const starter = (kind === 'exec' ? this.opts.exec : this.opts.logs)[target.runtime];
    if (!starter) {
      throw new StreamFailure('unsupported', `this agent cannot stream ${kind} for ${target.runtime} containers`);
    }
    return starter as K extends 'exec' ? ExecStarter : LogsStarter;
  }

  private open(
    id: string,
    target: ContainerTarget,
    window: number,
    stdin: boolean,
    start: () => Promise<StreamProcess>,
  ): void {
    if (this.streams.has(id)) return;
    const stream: AgentStream = {
      id,
      stdin,
      process: null,
      window: new OutputWindow(
        window,
        (channel, chunk) => this.opts.link.sendBinary(encodeStreamData(id, channel, chunk)),
        () => stream.process?.pause(),
        () => stream.process?.resume(),
      ),
      stdinCredit: stdin ? STREAM_STDIN_WINDOW : 0,
      stdinToReturn: 0,
      creditTimer: null,
      exit: null,
      closed: false,
    };
    this.streams.set(id, stream);
    if (this.streams.size > (this.opts.maxStreams ?? 512)) {
      this.fail(stream, 'unsupported', `this agent runs ${this.opts.maxStreams ?? 512} streams at most`);
      return;
    }
    let started: Promise<StreamProcess>;
    try {
      started = start();
    } catch (error) {
      this.fail(stream, ...failureOf(error));
      return;
    }
    started.then(
      (process) => {
        if (stream.closed) {
          void process.kill();
          return;
        }
        stream.process = process;
        this.opts.logger.info('stream started', { streamId: id, runtime: target.runtime, container: target.id });
        this.opts.link.sendText({ type: 'stream.opened', streamId: id, stdinWindow: stream.stdinCredit });
        process.exited.then(
          (exit) => this.exited(stream, { type: 'stream.exit', streamId: id, ...exit }),
          (error: unknown) => this.fail(stream, ...failureOf(error)),
        );
      },
      (error: unknown) => this.fail(stream, ...failureOf(error)),
    );
  }

  private output(id: string, channel: 'stdout' | 'stderr', chunk: Buffer): void {
    const stream = this.streams.get(id);
    if (!stream || stream.closed || chunk.length === 0) return;
    stream.window.push(channel, chunk);
  }

  private exited(stream: AgentStream, exit: AgentMessage): void {
    if (stream.closed) return;
    stream.exit = exit;
    this.flushExit(stream);
  }

  // The exit goes out after every byte of output before it, which may be waiting for credit.
  private flushExit(stream: AgentStream): void {
    if (!stream.exit || stream.closed) return;
    if (!stream.window.idle) {
      setTimeout(() => this.flushExit(stream), 10).unref();
      return;
    }
    this.opts.link.sendText(stream.exit);
    this.forget(stream);
  }

  private returnCredit(stream: AgentStream, bytes: number): void {
    if (stream.closed) return;
    stream.stdinToReturn += bytes;
    const send = () => {
      stream.creditTimer = null;
      if (stream.closed || stream.stdinToReturn === 0) return;
      stream.stdinCredit += stream.stdinToReturn;
      this.opts.link.sendText({ type: 'stream.credit', streamId: stream.id, bytes: stream.stdinToReturn });
      stream.stdinToReturn = 0;
    };
    if (stream.stdinToReturn >= CREDIT_BATCH) send();
    else stream.creditTimer ??= setTimeout(send, CREDIT_DELAY_MS);
  }

  private close(id: string, reason: string): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    this.forget(stream);
    this.opts.logger.info('stream closed; killing its process', { streamId: id, reason });
    stream.process?.kill().catch((error: unknown) => {
      this.opts.logger.warn('could not kill a stream process', { streamId: id, error });
    });
  }

  private fail(stream: AgentStream, code: StreamErrorCode, message: string, retryable = false): void {
    if (stream.closed) return;
    this.opts.logger.warn('stream failed', { streamId: stream.id, code, message });
    this.opts.link.sendText({ type: 'stream.error', streamId: stream.id, code, message, retryable });
    this.close(stream.id, message);
  }

  private forget(stream: AgentStream): void {
    stream.closed = true;
    if (stream.creditTimer) clearTimeout(stream.creditTimer);
    this.streams.delete(stream.id);
  }
}

// Engine errors as stream errors: a missing container, one not running, or the engine's own words.
export function failureOf(error: unknown): [StreamErrorCode, string, boolean] {
  if (error instanceof StreamFailure) return [error.code, error.message, error.retryable];
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (status === 404) return ['not_found', engineMessage(error), false];
  if (status === 409) return ['not_running', engineMessage(error), false];
  if (typeof status === 'number') return ['engine_error', engineMessage(error), status === 503];
  return ['internal', error instanceof Error ? error.message : String(error), false];
}
