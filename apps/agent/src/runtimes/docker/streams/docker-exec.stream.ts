import type { Duplex } from 'node:stream';
import type { ExecStreamParams } from '@corral/protocol';
import type { ExecStarter, StreamExit, StreamProcess } from '../../../streams/stream-process.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { envList } from '../ops/op-support.js';
import { killProcessTree } from '../ops/process-tree.js';
import { DockerDemux } from './docker-demux.js';

export interface DockerExecStreamOptions {
  killTree?: (pid: number) => Promise<number[]>;
}

// `docker exec [-i] [-t]` over dockerode's hijacked connection. Docker cannot kill an exec'd
// process, so kill() SIGKILLs the process tree whose host pid exec inspect reports.
export function dockerExecStream(docker: DockerOps, options: DockerExecStreamOptions = {}): ExecStarter {
  const killTree = options.killTree ?? ((pid: number) => killProcessTree(pid));
  return async (target, params, output) => {
    const created = await docker.api.getContainer(target.id).exec({
      Cmd: params.command,
      Env: envList(withTerm(params)),
      ...(params.workdir ? { WorkingDir: params.workdir } : {}),
      ...(params.user ? { User: params.user } : {}),
      AttachStdin: params.stdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: params.tty,
    });
    const exec = docker.waits.getExec(created.id);
    const socket = (await exec.start({ hijack: true, stdin: params.stdin, Tty: params.tty })) as Duplex;
    if (params.tty) {
      socket.on('data', (chunk: Buffer) => output('stdout', chunk));
    } else {
      const demux = new DockerDemux(output);
      socket.on('data', (chunk: Buffer) => demux.push(chunk));
    }
    const resize = (cols: number, rows: number) =>
      exec.resize({ h: rows, w: cols }).catch(() => {
        // The process may have exited between the resize and now; nothing to size any more.
      });
    if (params.tty && params.cols && params.rows) await resize(params.cols, params.rows);

    const ended = new Promise<void>((resolve) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
      socket.once('error', () => resolve());
    });
    const exited: Promise<StreamExit> = ended.then(async () => {
      // The attach stream can close a moment before Docker records the exit code.
      let info = await exec.inspect();
      for (let i = 0; i < 20 && info.Running; i++) {
        await new Promise((r) => setTimeout(r, 50));
        info = await exec.inspect();
      }
      return { exitCode: info.Running ? null : (info.ExitCode ?? null), signal: null };
    });
    const process: StreamProcess = {
      write: (chunk) => new Promise((resolve, reject) => socket.write(chunk, (err) => (err ? reject(err) : resolve()))),
      // With a TTY, EOF is the terminal's end-of-file character; without, the write side closes.
      eof: () => (params.tty ? socket.write('\x04') : socket.end()),
      resize: (cols, rows) => void resize(cols, rows),
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      kill: async () => {
        const info = await exec.inspect().catch(() => null);
        if (info?.Running && info.Pid) await killTree(info.Pid);
        setTimeout(() => socket.destroy(), 2_000).unref();
      },
      exited,
    };
    return process;
  };
}

// Docker sets TERM for a container created with a TTY, not for an exec: a shell needs it.
function withTerm(params: ExecStreamParams): Record<string, string> {
  return params.tty && !('TERM' in params.env) ? { TERM: 'xterm', ...params.env } : params.env;
}
