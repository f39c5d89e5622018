import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { MANAGED_LABEL } from './op-support.js';

export interface ImageImportOptions {
  // ws(s)://host[:port]/... of the controller, as the agent is configured with.
  controllerUrl: string;
  headers?: Record<string, string>;
  // The agent's controllerFetch (its TLS settings; a Readable body is piped with backpressure).
  fetch?: (
    url: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      body?: string | Readable;
      signal?: AbortSignal;
      nodeBody?: boolean;
    },
  ) => Promise<Response & { nodeBody?: Readable }>;
}

// Pure: where the controller serves an uploaded tarball, on the same host and port as its socket.
export function uploadUrl(controllerUrl: string, uploadId: string): string {
  const url = new URL(controllerUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = `/api/v1/uploads/${encodeURIComponent(uploadId)}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

// Pure: "registry:5000/a/b:tag" -> repo "registry:5000/a/b", tag "tag"; no tag means latest.
export function splitReference(reference: string): { repo: string; tag: string } {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repo: reference, tag: 'latest' };
}

// Pure: the error in Docker's JSON progress stream, if any.
export function progressError(text: string): string | null {
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const msg = JSON.parse(line) as { error?: unknown; errorDetail?: { message?: unknown } };
      if (msg.error) return String(msg.errorDetail?.message ?? msg.error);
    } catch {
      // Progress lines are informative only.
    }
  }
  return null;
}

// Streams the rootfs tarball from the controller into `docker import`; nothing touches the disk here.
// The download is bounded by the command's deadline, and by fetch's own header and idle timeouts.
export function imageImportOp(docker: DockerOps, options: ImageImportOptions): OpHandler<'image.import'> {
  const get = options.fetch ?? (fetch as unknown as NonNullable<ImageImportOptions['fetch']>);
  return async (ctx) => {
    const { uploadId, reference } = ctx.params;
    const url = uploadUrl(options.controllerUrl, uploadId);
    let res: Response;
    try {
      res = await get(url, { headers: options.headers, signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      throw new CommandFailure('engine_error', `cannot download upload ${uploadId}: ${(error as Error).message}`, true);
    }
    if (res.status === 404) throw new CommandFailure('not_found', `upload ${uploadId} not found on the controller`);
    if (!res.ok || !res.body) {
      throw new CommandFailure(
        'engine_error',
        `downloading upload ${uploadId} failed: HTTP ${res.status}`,
        res.status >= 500,
      );
    }
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    const { repo, tag } = splitReference(reference);
    const progress = await docker.api.importImage(body, {
      repo,
      tag,
      changes: [`LABEL ${MANAGED_LABEL}=true`],
      abortSignal: ctx.signal,
    });
    const text = await readAll(progress);
    const failure = progressError(text);
    if (failure) throw new CommandFailure('engine_error', `docker import failed: ${failure}`);
    const image = await docker.api.getImage(reference).inspect();
    ctx.logger.info('image imported', { reference, id: image.Id });
    return { id: image.Id, reference };
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
