import type { ContainerStreamConnection, StreamOutcome } from '@corral/client';
import { CliError, EXIT } from './errors.js';

// Writes output to our stdout/stderr; the promise settles once the bytes are taken, so a slow
// terminal or pipe holds back the stream's credit and with it the process.
export function writeOut(channel: 'stdout' | 'stderr', data: Uint8Array): Promise<void> {
  const stream = channel === 'stdout' ? process.stdout : process.stderr;
  return new Promise((resolve) => {
    stream.write(data, () => resolve());
  });
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

// How a finished stream maps to our exit: the process's own code, 128+n for a signal, 125 when
// Corral failed (the agent went away, the controller closed the socket).
export function exitOf(outcome: StreamOutcome): number {
  if (outcome.kind === 'exit') {
    if (outcome.exitCode !== null) return outcome.exitCode;
    return 128 + (SIGNAL_NUMBERS[outcome.signal ?? ''] ?? 1);
  }
  throw streamFailure(outcome);
}

export function streamFailure(outcome: Exclude<StreamOutcome, { kind: 'exit' }>): CliError {
  if (outcome.kind === 'error') {
    const fix =
      outcome.code === 'agent_disconnected' || outcome.code === 'host_offline'
        ? 'check the host with: corral hosts ls'
        : outcome.code === 'unauthorized'
          ? 'run corral login again with a valid token'
          : undefined;
    return new CliError(`${outcome.message} [${outcome.code}]`, EXIT.corral, fix);
  }
  return new CliError(
    `the connection to the controller closed (${outcome.code}${outcome.reason ? `: ${outcome.reason}` : ''})`,
    EXIT.corral,
    'is the controller running? try again',
  );
}

// Feeds our stdin to the stream (raw on a terminal), passes terminal resizes, and restores the
// terminal when done.
export function attachStdin(conn: ContainerStreamConnection, options: { tty: boolean; stdin: boolean }): () => void {
  const input = process.stdin;
  const cleanups: (() => void)[] = [];
  if (options.tty && input.isTTY) {
    input.setRawMode(true);
    cleanups.push(() => input.setRawMode(false));
  }
  if (options.tty && process.stdout.isTTY) {
    const onResize = () => conn.resize(process.stdout.columns, process.stdout.rows);
    process.stdout.on('resize', onResize);
    cleanups.push(() => process.stdout.off('resize', onResize));
  }
  if (options.stdin) {
    const onData = (chunk: Buffer) => {
      input.pause();
      void conn.write(chunk).then(() => input.resume());
    };
    const onEnd = () => conn.eof();
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
    cleanups.push(() => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
    });
  }
  return () => {
    for (const c of cleanups.reverse()) c();
  };
}
