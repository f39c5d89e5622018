import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { CappedOutput, targetId } from './op-support.js';

export const LOGS_MAX_BYTES = 4 * 1024 * 1024;

export function containerLogsOp(docker: DockerOps, maxBytes = LOGS_MAX_BYTES): OpHandler<'container.logs'> {
  return async (ctx) => {
    const { tail, since, timestamps } = ctx.params;
    // Not following: Docker sends what it has and closes; a long log is a deliberate wait.
    const body: unknown = await docker.waits.getContainer(targetId(ctx)).logs({
      follow: false,
      stdout: true,
      stderr: true,
      tail,
      timestamps,
      ...(since ? { since: Math.floor(Date.parse(since) / 1000) } : {}),
      abortSignal: ctx.signal,
    });
    const stdout = new CappedOutput(maxBytes, (text) => ctx.output('stdout', text));
    const stderr = new CappedOutput(maxBytes, (text) => ctx.output('stderr', text));
    // Without a TTY the bytes are multiplexed (8-byte frame headers); demuxStream passes TTY output through.
    const source = Readable.from([toBuffer(body)]);
    docker.waits.modem.demuxStream(source, stdout.writable, stderr.writable);
    await once(source, 'end');
    return {
      stdout: stdout.text(),
      stderr: stderr.text(),
      truncated: stdout.truncated || stderr.truncated,
    };
  };
}

// dockerode hands back a Buffer, or parsed JSON when the log text happens to be valid JSON.
function toBuffer(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(body === undefined || body === null ? '' : JSON.stringify(body));
}
