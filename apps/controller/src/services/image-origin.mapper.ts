import { COMMAND_OPS, type CommandOp, type ImageOriginKind, opSpec } from '@corral/protocol';
import type { ImageOriginRow, NewImageOrigin } from '../repositories/image-origin.repository.js';

// The origin the registry entry of `op` records for the images it makes; null for other ops.
export function originKindOf(op: string): ImageOriginKind | null {
  const known = (COMMAND_OPS as string[]).includes(op);
  return (known ? opSpec(op as CommandOp).origin : undefined) ?? null;
}

// The result key the op's origin details are under (a create's `pulled`); null: the whole result.
function originKeyOf(op: string): string | null {
  const known = (COMMAND_OPS as string[]).includes(op);
  return (known ? opSpec(op as CommandOp).originIn : undefined) ?? null;
}

// What of a finished command the mapping reads.
export interface FinishedImageCommand {
  id: string;
  op: string;
  hostId: string;
  target: unknown;
  params: unknown;
  result: unknown;
  requestedBy: string | null;
  finishedAt: Date | null;
}

// What a copy's origin needs to know of its source.
export interface CopySource {
  hostname: string | null;
  origin: ImageOriginRow | null;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
const obj = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

// A result's Docker image id: `id` where the op reports one (the controller then puts the Corral
// id in `imageId`); image.pull reports the Docker id as `imageId`.
function engineIdOf(result: Record<string, unknown>): string | null {
  return str(result.id) ?? (str(result.imageId)?.startsWith('sha256:') ? str(result.imageId) : null);
}

// Pure: the origins a successful command leaves (one per image it made; a load can make several).
export function originsOfCommand(command: FinishedImageCommand, source: CopySource | null = null): NewImageOrigin[] {
  const kind = originKindOf(command.op);
  if (!kind) return [];
  const params = obj(command.params);
  const key = originKeyOf(command.op);
  const whole = obj(command.result);
  // A create that pulled nothing made no image.
  if (key && !(key in whole)) return [];
  const result = key ? obj(whole[key]) : whole;
  const first = engineIdOf(result);
  const images = Array.isArray(result.images) ? result.images.filter((i): i is string => !!str(i)) : [];
  const engineIds = [...new Set([...(first ? [first] : []), ...images])];
  const base = {
    hostId: command.hostId,
    kind,
    registry: null,
    reference: null,
    digest: null,
    fromHostId: null,
    fromHostname: null,
    fromImage: null,
    uploadId: null,
    container: null,
    commandId: command.id,
    requestedBy: command.requestedBy,
    recordedAt: command.finishedAt ?? new Date(),
    source: null,
  } satisfies Omit<NewImageOrigin, 'engineId'>;
  let detail: Partial<NewImageOrigin>;
  switch (kind) {
    case 'pulled':
      detail = { registry: str(result.registry), reference: str(result.reference), digest: str(result.digest) };
      break;
    case 'loaded':
      detail = { uploadId: str(params.uploadId) };
      break;
    case 'imported':
      detail = { uploadId: str(params.uploadId), reference: str(params.reference) ?? str(result.reference) };
      break;
    case 'committed':
      detail = {
        container: str(obj(command.target).id) ?? str(result.container),
        reference: str(params.reference) ?? str(result.reference),
      };
      break;
    case 'copied': {
      const origin = source?.origin ?? null;
      detail = {
        fromHostId: str(params.fromHostId),
        fromHostname: source?.hostname ?? null,
        fromImage: str(params.fromImage),
        // A copy stays traceable to the registry digest its source came with.
        digest: origin?.digest ?? null,
        registry: origin?.registry ?? null,
        reference: origin?.reference ?? null,
        source: origin ? sourceOf(origin) : null,
      };
      break;
    }
  }
  return engineIds.map((engineId) => ({ ...base, ...detail, engineId }));
}

// The source's origin as a copy keeps it (its own source included, so chains of copies stay whole).
function sourceOf(origin: ImageOriginRow): Record<string, unknown> {
  return {
    kind: origin.kind,
    hostId: origin.hostId,
    engineId: origin.engineId,
    registry: origin.registry,
    reference: origin.reference,
    digest: origin.digest,
    fromHostId: origin.fromHostId,
    fromHostname: origin.fromHostname,
    uploadId: origin.uploadId,
    container: origin.container,
    requestedBy: origin.requestedBy,
    at: origin.recordedAt instanceof Date ? origin.recordedAt.toISOString() : origin.recordedAt,
    source: origin.source ?? null,
  };
}
