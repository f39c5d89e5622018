import type { ExecStreamParams } from '@corral/protocol';
import { execa } from 'execa';
import type { CommandContext } from '../../../executor/handler.js';
import type { Logger } from '../../../lib/logger.js';
import {
  type ExecStarter,
  type StreamExit,
  StreamFailure,
  type StreamProcess,
} from '../../../streams/stream-process.js';
import { killProcessTree } from '../../docker/ops/process-tree.js';
import { attachArgs, parseExecUser } from '../ops/attach-args.js';
import { containerRef, containerState, type LxcDeps } from '../ops/lxc-op.context.js';

// The slice of node-pty used here; loaded at start, so an agent without the native module still runs.
export interface PtyModule {
  spawn(
    file: string,
    args: string[],
    options: { name: string; cols: number; rows: number; cwd: string; env: Record<string, string>; encoding: null },
  ): PtyProcess;
}
interface PtyProcess {
  pid: number;
  write(data: Buffer | string): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  onData(listener: (data: Buffer | string) => void): unknown;
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): unknown;
}

export async function loadPty(logger: Logger): Promise<PtyModule | null> {
  try {
    return (await import('node-pty')) as unknown as PtyModule;
  } catch (error) {
    logger.warn('node-pty is not available: interactive exec with a terminal is off for LXC', { error });
    return null;
  }
}

const STATE_TIMEOUT_MS = 10_000;
const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 9: 'SIGKILL', 15: 'SIGTERM' };

// lxc-attach with a TTY runs under a pseudo-terminal of the agent's (node-pty); lxc-attach sees a
// terminal on stdin, makes one inside the container, puts ours in raw mode and passes the window
// size on at SIGWINCH, so Ctrl-C, resizes and the exit code behave as in a local terminal. Without
// a TTY it runs with plain pipes. kill() SIGKILLs lxc-attach and everything under it.
export function lxcExecStream(deps: LxcDeps, pty: PtyModule | null): ExecStarter {
  return async (target, params, output) => {
    const ref = containerRef(deps, target);
    const state = await containerState(
      deps,
      { deadline: new Date(Date.now() + STATE_TIMEOUT_MS) } as CommandContext,
      ref,
    );
    if (state !== 'RUNNING') {
      throw new StreamFailure('not_running', `container ${ref.name} is ${state.toLowerCase()}; start it first`);
    }
    const user = params.user === undefined ? undefined : parseExecUser(params.user);
    if (user && !('uid' in user)) {
      throw new StreamFailure('invalid_params', 'user: LXC streams take a numeric uid or uid:gid');
    }
    const args = attachArgs({
      ...ref,
      ...(user && 'uid' in user ? user : {}),
      command: params.command,
      env: params.tty && !('TERM' in params.env) ? { TERM: 'xterm', ...params.env } : params.env,
      workdir: params.workdir,
    });
    if (params.tty) {
      if (!pty) throw new StreamFailure('unsupported', 'this agent has no node-pty: no terminal for LXC exec');
      return ptyProcess(pty, args, params, output);
    }
    return pipeProcess(args, params, output);
  };
}

function ptyProcess(
  pty: PtyModule,
  args: string[],
  params: ExecStreamParams,
  output: (channel: 'stdout', chunk: Buffer) => void,
): StreamProcess {
  const child = pty.spawn('lxc-attach', args, {
    name: 'xterm',
    cols: params.cols ?? 80,
    rows: params.rows ?? 24,
    cwd: '/',
    env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    encoding: null,
  });
  child.onData((data) => output('stdout', typeof data === 'string' ? Buffer.from(data) : data));
  // node-pty reports exit once the terminal's output has been read to the end.
  const exited = new Promise<StreamExit>((resolve) => {
    child.onExit(({ exitCode, signal }) =>
      resolve(signal ? { exitCode: null, signal: SIGNALS[signal] ?? `signal ${signal}` } : { exitCode, signal: null }),
    );
  });
  return {
    write: async (chunk) => child.write(chunk),
    eof: () => child.write('\x04'),
    resize: (cols, rows) => child.resize(cols, rows),
    pause: () => child.pause(),
    resume: () => child.resume(),
    kill: async () => {
      await killProcessTree(child.pid);
    },
    exited,
  };
}

function pipeProcess(
  args: string[],
  params: ExecStreamParams,
  output: (channel: 'stdout' | 'stderr', chunk: Buffer) => void,
): StreamProcess {
  const child = execa('lxc-attach', args, {
    detached: true,
    stdin: params.stdin ? 'pipe' : 'ignore',
    buffer: false,
    reject: false,
    encoding: 'buffer',
    cwd: '/',
    env: { LC_ALL: 'C' },
  });
  child.stdout?.on('data', (chunk: Buffer) => output('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => output('stderr', chunk));
  const exited: Promise<StreamExit> = child.then((result) => {
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      throw new StreamFailure('engine_error', `could not run lxc-attach: ${result.shortMessage}`);
    }
    return { exitCode: result.exitCode ?? null, signal: result.signal ?? null };
  });
  return {
    write: (chunk) =>
      new Promise((resolve, reject) => {
        if (!child.stdin) return resolve();
        child.stdin.write(chunk, (err) => (err ? reject(err) : resolve()));
      }),
    eof: () => child.stdin?.end(),
    resize: () => {},
    pause: () => {
      child.stdout?.pause();
      child.stderr?.pause();
    },
    resume: () => {
      child.stdout?.resume();
      child.stderr?.resume();
    },
    kill: async () => {
      if (child.pid !== undefined) await killProcessTree(child.pid);
    },
    exited,
  };
}
