import { ExecaError, execa } from 'execa';

export interface RunOptions {
  timeoutMs: number;
  env?: Record<string, string>;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

// What went wrong, so callers can tell "binary missing" from "command failed" from "hung".
export type CommandFailure = 'not-found' | 'timeout' | 'exit' | 'signal' | 'spawn';

export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly failure: CommandFailure,
    readonly exitCode: number | null,
    readonly stderr: string,
    detail: string,
  ) {
    const tail = stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : '';
    super(`${command} ${args.join(' ')} ${detail}${tail}`);
  }
}

export async function runCommand(cmd: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  try {
    const result = await execa(cmd, args, {
      timeout: options.timeoutMs,
      // Parsers expect untranslated output (headers, decimal points).
      env: { LC_ALL: 'C', ...options.env },
      stdin: 'ignore',
      stripFinalNewline: false,
    });
    return { stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    throw toCommandError(cmd, args, options.timeoutMs, error);
  }
}

function toCommandError(cmd: string, args: readonly string[], timeoutMs: number, error: unknown): CommandError {
  if (!(error instanceof ExecaError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new CommandError(cmd, args, 'spawn', null, '', `could not run: ${message}`);
  }
  const stderr = typeof error.stderr === 'string' ? error.stderr : '';
  const exitCode = error.exitCode ?? null;
  if (error.code === 'ENOENT') return new CommandError(cmd, args, 'not-found', null, stderr, 'not found on PATH');
  if (error.timedOut)
    return new CommandError(cmd, args, 'timeout', exitCode, stderr, `timed out after ${timeoutMs} ms`);
  if (exitCode !== null) return new CommandError(cmd, args, 'exit', exitCode, stderr, `exited with code ${exitCode}`);
  if (error.signal) return new CommandError(cmd, args, 'signal', null, stderr, `killed by ${error.signal}`);
  return new CommandError(cmd, args, 'spawn', null, stderr, `failed: ${error.shortMessage}`);
}
