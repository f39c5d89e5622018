import { execa } from 'execa';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(
      `${command} ${args.join(' ')} failed (exit ${exitCode ?? 'none'}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: Record<string, string>;
}

// Runs a program with a time limit; a failure is a CommandError carrying args, exit code and stderr.
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const result = await execa(cmd, args, {
    timeout: opts.timeoutMs ?? 60_000,
    input: opts.input,
    env: opts.env,
    reject: false,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
  });
  if (result.failed) {
    const stderr = typeof result.stderr === 'string' ? result.stderr : '';
    const reason = result.timedOut
      ? `timed out after ${opts.timeoutMs ?? 60_000} ms; ${stderr}`
      : stderr || (result.message ?? '');
    throw new CommandError(cmd, args, result.exitCode, reason);
  }
  return typeof result.stdout === 'string' ? result.stdout.trim() : '';
}

export function netnsPath(ns: string): string {
  return `/var/run/netns/${ns}`;
}

// A program run inside a network namespace. nsenter, not `ip netns exec`: that one remounts /sys,
// which hides the cgroup mounts dockerd and LXC need.
export function runIn(ns: string, cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return run('nsenter', [`--net=${netnsPath(ns)}`, cmd, ...args], opts);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export { waitFor as until } from '../support/wait.js';
