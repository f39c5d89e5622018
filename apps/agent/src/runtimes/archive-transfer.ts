import { type ChildProcess, spawn } from 'node:child_process';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type CommandContext, CommandFailure } from '../executor/handler.js';
import { type ImageImportOptions, uploadUrl } from './docker/ops/image-import.op.js';

// Directory trees (an LXC container's, a Docker volume's contents) sent to and read from the
// controller's transfer relay as tar streams, with backpressure end to end: `tar -c` into the
// source agent's PUT, the target agent's GET into `tar -x`.

function tar(args: string[]): { child: ChildProcess; done: Promise<void> } {
  const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`tar ${signal ? `killed by ${signal}` : `exited ${code}`}: ${stderr.trim()}`));
    });
  });
  return { child, done };
}

function byteCounter(): { stream: Transform; bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

// `tar -C dir -cpf - ...paths` streamed into PUT /api/v1/uploads/{transferId}; answers the bytes sent.
export async function sendTree(
  ctx: CommandContext,
  upload: ImageImportOptions,
  transferId: string,
  dir: string,
  paths: string[],
  exclude: string[] = [],
): Promise<number> {
  const put = upload.fetch ?? (fetch as unknown as NonNullable<ImageImportOptions['fetch']>);
  const proc = tar(['-C', dir, '--numeric-owner', ...exclude.flatMap((e) => ['--exclude', e]), '-cpf', '-', ...paths]);
  proc.child.stdin!.end();
  const count = byteCounter();
  proc.child.stdout!.once('error', (err) => count.stream.destroy(err));
  proc.child.stdout!.pipe(count.stream);
  const onAbort = () => proc.child.kill('SIGKILL');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await put(uploadUrl(upload.controllerUrl, transferId), {
      method: 'PUT',
      headers: { ...upload.headers, 'content-type': 'application/x-tar' },
      body: count.stream,
      signal: ctx.signal,
    });
    const text = await res.text().catch(() => '');
    if (!res.ok)
      throw new CommandFailure('engine_error', `sending the archive failed: HTTP ${res.status} ${text}`, true);
    await proc.done;
  } catch (error) {
    proc.child.kill('SIGKILL');
    if (error instanceof CommandFailure || ctx.signal.aborted) throw error;
    throw new CommandFailure('engine_error', `archiving ${dir} failed: ${(error as Error).message}`, true);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  return count.bytes();
}

// GET /api/v1/uploads/{uploadId} unpacked by `tar -C into -xpf -`; answers the bytes read.
export async function receiveTree(
  ctx: CommandContext,
  upload: ImageImportOptions,
  uploadId: string,
  into: string,
): Promise<number> {
  const get = upload.fetch ?? (fetch as unknown as NonNullable<ImageImportOptions['fetch']>);
  let res: Response;
  try {
    res = await get(uploadUrl(upload.controllerUrl, uploadId), { headers: upload.headers, signal: ctx.signal });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw new CommandFailure('engine_error', `cannot download ${uploadId}: ${(error as Error).message}`, true);
  }
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    const code = res.status === 404 ? 'not_found' : 'engine_error';
    throw new CommandFailure(code, `transfer ${uploadId} failed: HTTP ${res.status} ${text}`.trim());
  }
  const proc = tar(['-C', into, '--numeric-owner', '-xpf', '-']);
  const count = byteCounter();
  const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  body.once('error', (err) => count.stream.destroy(err));
  count.stream.once('error', () => proc.child.kill('SIGKILL'));
  body.pipe(count.stream).pipe(proc.child.stdin!);
  const onAbort = () => proc.child.kill('SIGKILL');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all([
      proc.done,
      new Promise<void>((resolve, reject) => {
        count.stream.once('end', resolve);
        count.stream.once('error', reject);
      }),
    ]);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw new CommandFailure('engine_error', `unpacking the archive failed: ${(error as Error).message}`, true);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  return count.bytes();
}
