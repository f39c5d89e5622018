import { parseImageReference, type RegistryAuth } from '@corral/protocol';
import { engineMessage } from '../../../executor/errors.js';
import { type CommandContext, CommandFailure, type OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';

// Docker Hub, as Docker names it when a reference has no registry.
export const DEFAULT_REGISTRY = 'docker.io';

export interface PullTarget {
  // What the engine is asked for: name and tag, or name and digest (a tag beside a digest is dropped).
  fromImage: string;
  tag: string;
  // What to inspect afterwards: name:tag or name@digest.
  local: string;
  // name without tag or digest, as RepoDigests spell it.
  name: string;
  registry: string;
}

// Pure: the engine's fromImage/tag for a reference, and its registry (docker.io when it names none).
export function pullTarget(reference: string): PullTarget {
  const parsed = parseImageReference(reference);
  if (!parsed.ok) throw new CommandFailure('invalid_params', `not a valid image reference: ${parsed.rule}`);
  const { domain, path, tag, digest } = parsed.reference;
  const name = domain ? `${domain}/${path}` : path;
  const registry = domain ?? DEFAULT_REGISTRY;
  if (digest) return { fromImage: name, tag: digest, local: `${name}@${digest}`, name, registry };
  return { fromImage: name, tag: tag ?? 'latest', local: `${name}:${tag ?? 'latest'}`, name, registry };
}

interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

// A progress line of a pull, as written to the command's output (apps/cli lib/progress.ts reads them).
export interface ProgressLine {
  progress: 'pull';
  layer?: string;
  status: string;
  current: number;
  total: number | null;
}

// Pure: folds Docker's pull events into per-layer and whole-pull byte counts. Layer lines are written
// when a layer changes phase; the whole-pull line at most every `everyMs`, and at the end.
export class PullProgress {
  private readonly layers = new Map<string, { status: string; current: number; total: number }>();
  private lastTotalAt = -Infinity;
  digest: string | null = null;
  error: string | null = null;

  constructor(private readonly everyMs = 500) {}

  add(event: PullEvent, now: number): ProgressLine[] {
    const out: ProgressLine[] = [];
    if (event.error || event.errorDetail) {
      this.error = String(event.errorDetail?.message ?? event.error);
      return out;
    }
    const status = event.status ?? '';
    const digest = /^Digest: (\S+)/.exec(status);
    if (digest) this.digest = digest[1]!;
    // Layer events carry a 12-character id; "Pulling from repo" carries the tag as its id.
    if (!event.id || !/^[0-9a-f]{12}$/.test(event.id)) return out;
    const layer = this.layers.get(event.id) ?? { status: '', current: 0, total: 0 };
    const detail = event.progressDetail ?? {};
    if (status === 'Downloading') {
      layer.current = detail.current ?? layer.current;
      layer.total = detail.total ?? layer.total;
    } else if (status === 'Download complete' || status === 'Pull complete' || status === 'Extracting') {
      if (layer.total > 0) layer.current = layer.total;
    }
    const phaseChanged = layer.status !== status;
    layer.status = status;
    this.layers.set(event.id, layer);
    if (phaseChanged) {
      out.push({
        progress: 'pull',
        layer: event.id,
        status,
        current: layer.current,
        total: layer.total > 0 ? layer.total : null,
      });
    }
    if (now - this.lastTotalAt >= this.everyMs) {
      this.lastTotalAt = now;
      out.push(this.total('pulling'));
    }
    return out;
  }

  total(status: string): ProgressLine {
    let current = 0;
    let total = 0;
    for (const layer of this.layers.values()) {
      current += layer.current;
      total += layer.total;
    }
    return { progress: 'pull', status, current, total: total > 0 ? total : null };
  }
}

// Pure: the engine's refusal as a failure saying what went wrong with which registry.
export function pullFailure(reference: string, registry: string, message: string): CommandFailure {
  const m = message.toLowerCase();
  if (/unauthorized|no basic auth credentials|authentication required|incorrect username or password|denied/.test(m)) {
    return new CommandFailure(
      'engine_error',
      `pull ${reference}: unauthorized: registry ${registry} refused the credentials ` +
        `(check the registry's username and password in /api/v1/registries): ${message}`,
    );
  }
  if (/manifest unknown|not found|name unknown/.test(m)) {
    return new CommandFailure(
      'not_found',
      `pull ${reference}: not found: registry ${registry} has no such repository, tag or digest: ${message}`,
    );
  }
  if (/server gave http response to https client/.test(m)) {
    return new CommandFailure(
      'engine_error',
      `pull ${reference}: registry ${registry} speaks plain HTTP, which this host's dockerd refuses; add it to the dockerd's insecure-registries: ${message}`,
    );
  }
  if (
    /connection refused|no route to host|i\/o timeout|no such host|dial tcp|timeout|network is unreachable|eof/.test(m)
  ) {
    return new CommandFailure(
      'engine_error',
      `pull ${reference}: unreachable: cannot reach registry ${registry}: ${message}`,
      true,
    );
  }
  return new CommandFailure('engine_error', `pull ${reference} from ${registry} failed: ${message}`);
}

// Pure: the daemon's own words of a refused pull. For streamed requests dockerode keeps them only in
// the error's message, behind "(HTTP code N) reason - ".
export function pullErrorText(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string') {
    const cause = /^\(HTTP code \d+\) [^-]*- ([\s\S]*)$/.exec(message.trim());
    if (cause?.[1]?.trim()) return cause[1].trim();
  }
  return engineMessage(error);
}

export interface PulledImage {
  imageId: string;
  digest: string | null;
  registry: string;
}

// Pulls through the engine, writing progress lines to the command's stdout. A refused pull throws
// the registry's reason; Docker keeps no image of a pull that failed.
export async function pullImage(
  docker: DockerOps,
  ctx: Pick<CommandContext, 'signal' | 'output' | 'logger'>,
  reference: string,
  options: { auth?: RegistryAuth; platform?: string },
): Promise<PulledImage> {
  const target = pullTarget(reference);
  const progress = new PullProgress();
  const write = (lines: ProgressLine[]) => {
    if (lines.length > 0) ctx.output('stdout', `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  };
  const { insecure: _, ...auth } = options.auth ?? ({} as Partial<RegistryAuth>);
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.waits.createImage(options.auth ? auth : undefined, {
      fromImage: target.fromImage,
      tag: target.tag,
      ...(options.platform ? { platform: options.platform } : {}),
      abortSignal: ctx.signal,
    })) as NodeJS.ReadableStream;
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw pullFailure(reference, target.registry, pullErrorText(error));
  }
  write([progress.total('starting')]);
  let buffered = '';
  try {
    for await (const chunk of stream) {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          write(progress.add(JSON.parse(line) as PullEvent, Date.now()));
        } catch {
          // Not JSON: informative only.
        }
      }
    }
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw pullFailure(reference, target.registry, pullErrorText(error));
  }
  if (buffered.trim()) {
    try {
      progress.add(JSON.parse(buffered) as PullEvent, Date.now());
    } catch {
      // ignore
    }
  }
  if (progress.error) throw pullFailure(reference, target.registry, progress.error);
  write([progress.total('pulled')]);
  const image = await docker.api.getImage(target.local).inspect();
  ctx.logger.info('image pulled', { reference, id: image.Id, registry: target.registry });
  // The registry's word first; else the digest asked for, or the one Docker recorded for this name.
  const prefix = `${target.name}@`;
  const recorded = (image.RepoDigests ?? []).find((d) => d.startsWith(prefix))?.slice(prefix.length) ?? null;
  const asked = target.tag.includes(':') ? target.tag : null;
  return { imageId: image.Id, digest: progress.digest ?? asked ?? recorded, registry: target.registry };
}

// Whether the engine has this image (by name:tag, name@digest or id).
export async function hasImage(docker: DockerOps, reference: string): Promise<boolean> {
  try {
    await docker.api.getImage(reference).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

export function imagePullOp(docker: DockerOps): OpHandler<'image.pull'> {
  return async (ctx) => {
    const { reference, platform, registryAuth } = ctx.params;
    const pulled = await pullImage(docker, ctx, reference, { auth: registryAuth, platform });
    return { imageId: pulled.imageId, reference, digest: pulled.digest, registry: pulled.registry };
  };
}
