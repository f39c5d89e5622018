import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { sleep } from './run.js';

// Every process a fleet starts carries this variable, so that a teardown finds them (and what they
// started) by scanning /proc even when their pids were never written down.
export const FLEET_MARKER = 'CORRAL_FLEET_TAG';

export interface Daemon {
  pid: number;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logFile: string;
}

// Starts a long-running process in its own process group with its output appended to `logFile`,
// so it outlives this process if it crashes (a teardown later finds it by pid or marker).
export function startDaemon(
  cmd: string,
  args: string[],
  opts: { env: Record<string, string>; logFile: string; cwd?: string },
): Daemon {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    if (child.pid === undefined) throw new Error(`could not start ${cmd} ${args.join(' ')}`);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    return { pid: child.pid, child, exited, logFile: opts.logFile };
  } finally {
    closeSync(fd);
  }
}

// True while the process exists and is not a zombie.
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

// Sends `sig`, waits up to `timeoutMs` for the process to go, then SIGKILLs it. Returns true when it
// went on the first signal.
export async function stopPid(
  pid: number | undefined,
  sig: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 10_000,
): Promise<boolean> {
  if (!alive(pid)) return true;
  signal(pid!, sig);
  if (await waitGone([pid!], timeoutMs)) return true;
  signal(pid!, 'SIGKILL');
  await waitGone([pid!], 5_000);
  return false;
}

export async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

export function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}
