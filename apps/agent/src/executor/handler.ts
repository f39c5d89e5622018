import type { CommandErrorCode, CommandOp, CommandParams, CommandTarget } from '@corral/protocol';
import type { Logger } from '../lib/logger.js';

export interface CommandContext<Op extends CommandOp = CommandOp> {
  id: string;
  op: Op;
  target: CommandTarget;
  // Already validated against the op's schema, defaults applied.
  params: CommandParams<Op>;
  deadline: Date;
  // Aborted on command.cancel or when the deadline passes; long operations (exec) must stop.
  signal: AbortSignal;
  // Streams exec/logs output to the controller as it comes.
  output(stream: 'stdout' | 'stderr', chunk: string): void;
  logger: Logger;
}

// Runs one op on the real engine and returns its result (a JSON object), or throws CommandFailure.
export type OpHandler<Op extends CommandOp = CommandOp> = (ctx: CommandContext<Op>) => Promise<Record<string, unknown>>;

export type OpHandlers = { [Op in CommandOp]?: OpHandler<Op> };

// A failure with a stable code; `retryable` says whether sending the same command again could help.
export class CommandFailure extends Error {
  constructor(
    readonly code: CommandErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}
