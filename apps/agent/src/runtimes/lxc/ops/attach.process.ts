import { execa } from 'execa';

export interface AttachRun {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  signal: AbortSignal;
  timeoutMs?: number | undefined;
}

export interface AttachOutcome {
  exitCode: number | null;
  // Why the agent stopped it, if it did.
  stoppedBy: 'abort' | 'timeout' | null;
}

export type AttachSpawner = (args: string[], run: AttachRun) => Promise<AttachOutcome>;

// SIGTERM first so the command can clean up, SIGKILL if it is still there after this.
const KILL_GRACE_MS = 2_000;
// Background processes the command left behind can hold the pipes open; stop reading this long after exit.
const DRAIN_AFTER_EXIT_MS = 1_000;

// Runs lxc-attach as the leader of a new process group. lxc-attach neither forwards signals nor takes its child
// with it when killed (the child is reparented to the host's init and runs on), but the attached process stays in
// lxc-attach's group, so signalling the group stops lxc-attach and everything started inside the container by it.
export const spawnAttach: AttachSpawner = async (args, run) => {
  const child = execa('lxc-attach', args, {
    detached: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    encoding: 'buffer',
    // lxc-attach enters the container in the caller's directory when the container has it; make that predictable.
    cwd: '/',
    env: { LC_ALL: 'C' },
  });
  child.stdout?.on('data', run.onStdout);
  child.stderr?.on('data', run.onStderr);

  let stoppedBy: AttachOutcome['stoppedBy'] = null;
  const stop = (why: 'abort' | 'timeout') => {
    if (stoppedBy || child.pid === undefined || child.exitCode !== null) return;
    stoppedBy = why;
    signalGroup(child.pid, 'SIGTERM');
    const pid = child.pid;
    // Left running after lxc-attach is gone: the command in the container may still be in its grace period.
    setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const onAbort = () => stop('abort');
  if (run.signal.aborted) onAbort();
  else run.signal.addEventListener('abort', onAbort, { once: true });
  const timeoutTimer = run.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), run.timeoutMs);

  let exitCode: number | null = null;
  let drainTimer: NodeJS.Timeout | undefined;
  child.once('exit', (code) => {
    exitCode = code;
    drainTimer = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, DRAIN_AFTER_EXIT_MS);
  });
  try {
    const result = await child;
    if (result.failed && result.exitCode === undefined && result.signal === undefined && !stoppedBy) {
      // It never ran (lxc-attach missing, or spawn refused).
      throw new Error(`could not run lxc-attach: ${result.shortMessage}`);
    }
    return { exitCode, stoppedBy };
  } finally {
    run.signal.removeEventListener('abort', onAbort);
    clearTimeout(timeoutTimer);
    clearTimeout(drainTimer);
  }
};

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the group is already gone.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
