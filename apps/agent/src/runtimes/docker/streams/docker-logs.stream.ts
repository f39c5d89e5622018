import { Readable } from 'node:stream';
import type { LogsStarter, StreamProcess } from '../../../streams/stream-process.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { DockerDemux } from './docker-demux.js';

// `docker logs [-f]`: Docker ends a followed log when the container stops.
export function dockerLogsStream(docker: DockerOps): LogsStarter {
  return async (target, params, output) => {
    const container = docker.waits.getContainer(target.id);
    const info = await container.inspect();
    const abort = new AbortController();
    const opts = {
      stdout: true,
      stderr: true,
      timestamps: params.timestamps,
      // Docker takes "all" for the whole log; the typings know numbers only.
      tail: (params.tail ?? 'all') as number,
      ...(params.since ? { since: Math.floor(Date.parse(params.since) / 1000) } : {}),
      abortSignal: abort.signal,
    };
    // dockerode answers a stream when following and the whole log as one buffer when not.
    const body: unknown = params.follow
      ? await container.logs({ ...opts, follow: true })
      : await container.logs({ ...opts, follow: false });
    const source: Readable = body instanceof Readable ? body : Readable.from([toBuffer(body)]);
    if (info.Config?.Tty) {
      source.on('data', (chunk: Buffer) => output('stdout', chunk));
    } else {
      const demux = new DockerDemux(output);
      source.on('data', (chunk: Buffer) => demux.push(chunk));
    }
    const exited = new Promise<{ exitCode: number; signal: null }>((resolve) => {
      const done = () => resolve({ exitCode: 0, signal: null });
      source.once('end', done);
      source.once('close', done);
      source.once('error', done);
    });
    const process: StreamProcess = {
      write: async () => {},
      eof: () => {},
      resize: () => {},
      pause: () => source.pause(),
      resume: () => source.resume(),
      kill: async () => {
        abort.abort();
        source.destroy();
      },
      exited,
    };
    return process;
  };
}

function toBuffer(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(body === undefined || body === null ? '' : JSON.stringify(body));
}
