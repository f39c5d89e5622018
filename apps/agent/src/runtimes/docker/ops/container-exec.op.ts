import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { CappedOutput, envList, targetId } from './op-support.js';
import { killProcessTree } from './process-tree.js';

export interface ExecOptions {
  // How long the attach stream may stay open after the process was killed.
  killGraceMs?: number;
  killTree?: (pid: number) => Promise<number[]>;
}

// Stopping an exec: Docker has no API to kill an exec'd process, but exec inspect reports its pid
// in the host's pid namespace, where the agent runs (compose gives it `pid: host`), so the agent
// SIGKILLs that process and its descendants itself; the attach stream then ends.
export function containerExecOp(docker: DockerOps, options: ExecOptions = {}): OpHandler<'container.exec'> {
  const killTree = options.killTree ?? ((pid: number) => killProcessTree(pid));
  return async (ctx) => {
    const { params } = ctx;
    const timeout = params.timeoutSeconds ? AbortSignal.timeout(params.timeoutSeconds * 1000) : null;
    const signal = timeout ? AbortSignal.any([ctx.signal, timeout]) : ctx.signal;
    const created = await docker.api.getContainer(targetId(ctx)).exec({
      Cmd: params.command,
      Env: envList(params.env),
      ...(params.workdir ? { WorkingDir: params.workdir } : {}),
      ...(params.user ? { User: params.user } : {}),
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stdout = new CappedOutput(params.maxOutputBytes, (text) => ctx.output('stdout', text));
    const stderr = new CappedOutput(params.maxOutputBytes, (text) => ctx.output('stderr', text));
    const stream = (await docker.waits.getExec(created.id).start({ hijack: true, stdin: false })) as Duplex;
    docker.waits.modem.demuxStream(stream, stdout.writable, stderr.writable);
    const ended = Promise.race([once(stream, 'end'), once(stream, 'close')]);

    const onAbort = () => {
      created
        .inspect()
        .then(async (info) => {
          if (!info.Running || !info.Pid) return;
          const killed = await killTree(info.Pid);
          ctx.logger.info('exec stopped', { id: ctx.id, pids: killed });
        })
        .catch((error: unknown) => ctx.logger.warn('cannot stop the exec process', { id: ctx.id, error }))
        .finally(() => setTimeout(() => stream.destroy(), options.killGraceMs ?? 5_000).unref());
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      await ended.catch(() => undefined);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }

    if (timeout?.aborted && !ctx.signal.aborted) {
      throw new CommandFailure('timeout', `exec ran longer than ${params.timeoutSeconds} s and was killed`);
    }
    // The attach stream can close a moment before Docker records the exit code.
    let info = await created.inspect();
    for (let i = 0; i < 20 && info.Running; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      info = await created.inspect();
    }
    return {
      exitCode: info.Running ? null : (info.ExitCode ?? null),
      stdout: stdout.text(),
      stderr: stderr.text(),
      truncated: stdout.truncated || stderr.truncated,
    };
  };
}
