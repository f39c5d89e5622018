import type { CommandTarget, ExecStreamParams, LogsStreamParams, StreamErrorCode } from '@corral/protocol';

export type ContainerTarget = Extract<CommandTarget, { kind: 'container' }>;
export type OutputChannel = 'stdout' | 'stderr';
export type StreamOutput = (channel: OutputChannel, chunk: Buffer) => void;

export interface StreamExit {
  exitCode: number | null;
  signal: string | null;
}

// A process (or a log being followed) on the host whose bytes a stream carries. `exited` resolves
// once its output has all been handed to `output`.
export interface StreamProcess {
  write(chunk: Buffer): Promise<void>;
  // The client closed stdin.
  eof(): void;
  resize(cols: number, rows: number): void;
  // Flow control: stop reading output until resume().
  pause(): void;
  resume(): void;
  // The client left: the process and what it started are killed.
  kill(): Promise<void>;
  readonly exited: Promise<StreamExit>;
}

export type ExecStarter = (
  target: ContainerTarget,
  params: ExecStreamParams,
  output: StreamOutput,
) => Promise<StreamProcess>;
export type LogsStarter = (
  target: ContainerTarget,
  params: LogsStreamParams,
  output: StreamOutput,
) => Promise<StreamProcess>;

// A stream that cannot start or goes wrong, with the code the client sees.
export class StreamFailure extends Error {
  constructor(
    readonly code: StreamErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'StreamFailure';
  }
}
