import { parseImageReference } from '@corral/protocol';
import type { ImagePolicyDto } from '../dtos/image-policy.dto.js';
import type { ImagePolicyRow } from '../repositories/image-policy.repository.js';
import { constraintHolds } from './scheduler/labels.filter.js';
import type { Constraint } from './scheduler/scheduler.types.js';

const DEFAULT_REGISTRY = 'docker.io';

export interface ImageRefusal {
  // image.requireDigest, image.allowedRegistries, image.unknownOrigin.
  rule: string;
  policy: string;
  field: string;
  message: string;
}

export function toImagePolicyDto(row: ImagePolicyRow): ImagePolicyDto {
  return {
    id: row.id,
    name: row.name,
    selector: row.selector as ImagePolicyDto['selector'],
    allowedRegistries: Array.isArray(row.allowedRegistries) ? (row.allowedRegistries as string[]) : null,
    requireDigest: row.requireDigest,
    refuseUnknownOrigin: row.refuseUnknownOrigin,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

// How a create's image may be named in the host's image records: the tags and repo digests Docker
// records (familiar form: busybox:latest, not docker.io/library/busybox:latest), or an id prefix.
export interface ImageNames {
  tags: string[];
  repoDigests: string[];
  // sha256:<hex>, possibly short (Docker takes 12 hex digits or more).
  idPrefix: string | null;
}

// Pure: the names the host's image records would carry for `image` as a create names it.
export function imageNamesOf(image: string): ImageNames {
  const id = /^(?:sha256:)?([0-9a-f]{12,64})$/.exec(image);
  if (id) return { tags: [], repoDigests: [], idPrefix: `sha256:${id[1]}` };
  const parsed = parseImageReference(image);
  if (!parsed.ok) return { tags: [], repoDigests: [], idPrefix: null };
  const { domain, path, tag, digest } = parsed.reference;
  const full = domain ? `${domain}/${path}` : path;
  // Docker records Docker Hub names without docker.io/ and official images without library/.
  const hub = !domain || domain === DEFAULT_REGISTRY;
  const familiar = hub ? path.replace(/^library\/(?=[^/]+$)/, '') : full;
  const names = [...new Set([full, familiar])];
  if (digest) return { tags: [], repoDigests: names.map((n) => `${n}@${digest}`), idPrefix: null };
  return { tags: names.map((n) => `${n}:${tag ?? 'latest'}`), repoDigests: [], idPrefix: null };
}

// Pure: the first image rule of the policies matching the host's agent labels that this image
// breaks; null when it breaks none. Unlike create grants, which widen, image rules narrow: every
// matching policy applies. An image id (no registry in it) is checked like a local name: docker.io.
// `origin` is the origin Corral keeps for the image on this host (`unknown` when it appeared outside
// Corral); null when the host does not hold it yet, so the create pulls it (origin `pulled`).
export function checkImage(
  image: string,
  policies: readonly ImagePolicyDto[],
  agentLabels: Readonly<Record<string, string>>,
  origin: string | null = null,
): ImageRefusal | null {
  const matching = policies.filter((p) => p.selector.every((c) => constraintHolds(agentLabels, c as Constraint)));
  if (matching.length === 0) return null;
  const parsed = parseImageReference(image);
  const registry = parsed.ok ? (parsed.reference.domain ?? DEFAULT_REGISTRY).toLowerCase() : null;
  const digest = parsed.ok ? parsed.reference.digest : null;
  for (const policy of matching) {
    if (policy.requireDigest && !digest) {
      return {
        rule: 'image.requireDigest',
        policy: policy.name,
        field: 'image',
        message: `image ${image} is not named by digest; image policy ${policy.name} requires name@sha256:...`,
      };
    }
    const allowed = policy.allowedRegistries;
    if (allowed && (!registry || !allowed.some((a) => a.toLowerCase() === registry))) {
      return {
        rule: 'image.allowedRegistries',
        policy: policy.name,
        field: 'image',
        message: `image ${image} comes from ${registry ?? 'no registry'}, which image policy ${policy.name} does not allow (allowed: ${allowed.join(', ') || 'none'})`,
      };
    }
    if (policy.refuseUnknownOrigin && origin === 'unknown') {
      return {
        rule: 'image.unknownOrigin',
        policy: policy.name,
        field: 'image',
        message: `image ${image} on this host is of unknown origin (it appeared outside Corral), which image policy ${policy.name} refuses; pull, load or copy it through Corral`,
      };
    }
  }
  return null;
}
