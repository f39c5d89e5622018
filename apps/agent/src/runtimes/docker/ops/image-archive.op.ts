import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type CommandContext, CommandFailure, type OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { type ImageImportOptions, progressError, uploadUrl } from './image-import.op.js';
import { targetId } from './op-support.js';

// How often a transfer writes a progress line to its command's output.
const PROGRESS_EVERY_MS = 500;

// Pure: the images a `docker load` answer names, as tags ("Loaded image: a:1") and ids
// ("Loaded image ID: sha256:..." for untagged ones), in order.
export function loadedImages(text: string): { tags: string[]; ids: string[] } {
  const tags: string[] = [];
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let stream: unknown;
    try {
      stream = (JSON.parse(line) as { stream?: unknown }).stream;
    } catch {
      continue;
    }
    if (typeof stream !== 'string') continue;
    for (const part of stream.split('\n')) {
      const id = /^Loaded image ID: (\S+)/.exec(part);
      if (id) ids.push(id[1]!);
      const tag = /^Loaded image: (\S+)/.exec(part);
      if (tag) tags.push(tag[1]!);
    }
  }
  return { tags, ids };
}

// Pure: one progress line, as the CLI's transfer bar reads it.
export function progressLine(kind: string, status: string, current: number, total: number | null): string {
  return `${JSON.stringify({ progress: kind, status, current, total })}\n`;
}

// Counts the bytes going through and reports them on the command's output now and then.
function counter(ctx: CommandContext, kind: string, status: string, total: number | null) {
  let bytes = 0;
  let last = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      const now = Date.now();
      if (now - last >= PROGRESS_EVERY_MS) {
        last = now;
        ctx.output('stdout', progressLine(kind, status, bytes, total));
      }
      done(null, chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

// image.load (an uploaded archive) and image.copy (one relayed from another host's save): the
// archive streams from the controller straight into `docker load`; only a stream's buffers are
// held, and a slow engine slows the download (and, for a copy, the source's save).
export function imageLoadOp(docker: DockerOps, options: ImageImportOptions): OpHandler<'image.load' | 'image.copy'> {
  const get = options.fetch ?? (fetch as unknown as NonNullable<ImageImportOptions['fetch']>);
  return async (ctx) => {
    const { uploadId } = ctx.params;
    const kind = ctx.op === 'image.copy' ? 'copy' : 'load';
    const url = uploadUrl(options.controllerUrl, uploadId);
    let res: Response & { nodeBody?: Readable };
    try {
      res = await get(url, { headers: options.headers, signal: ctx.signal, nodeBody: true });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      throw new CommandFailure('engine_error', `cannot download ${uploadId}: ${(error as Error).message}`, true);
    }
    if (!res.ok || !(res.nodeBody ?? res.body)) throw await downloadFailure(res, uploadId);
    const length = Number(res.headers.get('content-length') ?? Number.NaN);
    const sourceSize = 'sizeBytes' in ctx.params ? ctx.params.sizeBytes : null;
    const total = Number.isFinite(length) ? length : sourceSize;
    const count = counter(ctx, kind, 'loading', total);
    const body = res.nodeBody ?? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    body.once('error', (err) => count.stream.destroy(err));
    body.pipe(count.stream);
    const answer = await docker.waits.loadImage(count.stream, { abortSignal: ctx.signal } as object);
    const text = await readAll(answer);
    const failure = progressError(text);
    if (failure) throw new CommandFailure('engine_error', `docker load failed: ${failure}`);
    ctx.output('stdout', progressLine(kind, 'loaded', count.bytes(), total));
    const { tags, ids } = loadedImages(text);
    const images: string[] = [...ids];
    for (const tag of tags) {
      const id = (await docker.api.getImage(tag).inspect()).Id;
      if (!images.includes(id)) images.push(id);
    }
    if (images.length === 0) throw new CommandFailure('engine_error', 'docker load reported no image');
    ctx.logger.info(`image ${kind}ed`, { images, tags, bytes: count.bytes() });
    return { id: images[0]!, tags, images, bytes: count.bytes() };
  };
}

// image.save: `docker save` of the target image, streamed up to the controller's transfer with
// backpressure (the controller writes it on to whoever reads it).
export function imageSaveOp(docker: DockerOps, options: ImageImportOptions): OpHandler<'image.save'> {
  const put = options.fetch ?? (fetch as unknown as NonNullable<ImageImportOptions['fetch']>);
  return async (ctx) => {
    const id = targetId(ctx);
    // Saved by its tags, so that the archive carries them (saved by id it would carry none).
    const tags = ((await docker.api.getImage(id).inspect()).RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const archive = await docker.waits.getImages({ names: tags.length > 0 ? tags : [id], abortSignal: ctx.signal });
    const count = counter(ctx, 'save', 'saving', null);
    const source = Readable.from(archive as AsyncIterable<Buffer>);
    source.once('error', (err) => count.stream.destroy(err));
    source.pipe(count.stream);
    const onAbort = () => count.stream.destroy(new Error('canceled'));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let res: Response;
    try {
      res = await put(uploadUrl(options.controllerUrl, ctx.params.transferId), {
        method: 'PUT',
        headers: { ...options.headers, 'content-type': 'application/x-tar' },
        body: count.stream,
        signal: ctx.signal,
      });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      throw new CommandFailure('engine_error', `sending the archive failed: ${(error as Error).message}`, true);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    if (!res.ok) throw await downloadFailure(res, ctx.params.transferId);
    await res.text().catch(() => '');
    return { id, bytes: count.bytes() };
  };
}

async function downloadFailure(res: Response & { nodeBody?: Readable }, id: string): Promise<CommandFailure> {
  const text = res.nodeBody ? await readAll(res.nodeBody).catch(() => '') : await res.text().catch(() => '');
  let message = text;
  try {
    message = String((JSON.parse(text) as { message?: unknown }).message ?? text);
  } catch {
    // Not JSON: the text is the message.
  }
  if (res.status === 404) return new CommandFailure('not_found', `transfer ${id}: ${message || 'not found'}`);
  return new CommandFailure(
    'engine_error',
    `transfer ${id} failed: HTTP ${res.status}${message ? `: ${message}` : ''}`,
    res.status >= 500,
  );
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
