import type {
  CommandTarget,
  ExecStreamParams,
  LogsStreamParams,
  StreamChannelName,
  StreamErrorCode,
} from '@corral/protocol';

export const STREAM_RELAY = Symbol('STREAM_RELAY');

export type StreamOpenRequest = {
  streamId: string;
  hostId: string;
  target: Extract<CommandTarget, { kind: 'container' }>;
  // Output credit the client granted at first.
  window: number;
} & ({ kind: 'exec'; params: ExecStreamParams } | { kind: 'logs'; params: LogsStreamParams });

// What the relay reports about a stream, in order: opened, then output and credit, then exactly
// one of exit or error.
export interface StreamSink {
  opened(stdinWindow: number): void;
  // `clientFrame` is the same bytes framed for a client socket ([channel][payload]).
  output(channel: Exclude<StreamChannelName, 'stdin'>, payload: Uint8Array, clientFrame: Uint8Array): void;
  // The agent took this many more stdin bytes.
  credit(bytes: number): void;
  exit(exitCode: number | null, signal: string | null): void;
  error(code: StreamErrorCode, message: string, retryable: boolean): void;
}

// The client's side of an open stream.
export interface StreamHandle {
  input(payload: Uint8Array): void;
  resize(cols: number, rows: number): void;
  eof(): void;
  // The client consumed this many more output bytes.
  credit(bytes: number): void;
  // The client left: the agent kills the process; the sink hears nothing more.
  close(reason: string): void;
}

// Where the client sockets meet the agent sockets: LocalStreamRelay when this process holds the
// agent's socket, RoutedStreamRelay (cluster/) in front of it, which forwards these same calls to
// the replica holding the agent otherwise (docs/architecture.md, Streams).
export interface StreamRelay {
  // Throws StreamUnavailableError when no agent of the host can take the stream.
  open(request: StreamOpenRequest, sink: StreamSink): StreamHandle;
  // Streams open through this relay, for metrics and tests.
  openCount(): number;
}

// The host has no connected agent (here), or its agent cannot stream this kind for this runtime.
export class StreamUnavailableError extends Error {
  override readonly name = 'StreamUnavailableError';

  constructor(
    readonly code: Extract<StreamErrorCode, 'host_offline' | 'unsupported'>,
    message: string,
  ) {
    super(message);
  }
}
