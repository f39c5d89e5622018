import { parseImageReference } from '@corral/protocol';
import type { ImagePolicyDto } from '../dtos/image-policy.dto.js';
import type { ImagePolicyRow } from '../repositories/image-policy.repository.js';
import { constraintHolds } from './scheduler/labels.filter.js';
import type { Constraint } from './scheduler/scheduler.types.js';

const DEFAULT_REGISTRY = 'docker.io';

export interface ImageRefusal {
  // image.allowedRegistries, image.requireDigest (image.unknownOrigin once origins exist).
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
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

// Pure: the first image rule of the policies matching the host's agent labels that this image
// breaks; null when it breaks none. Unlike create grants, which widen, image rules narrow: every
// matching policy applies. An image id (no registry in it) is checked like a local name: docker.io.
export function checkImage(
  image: string,
  policies: readonly ImagePolicyDto[],
  agentLabels: Readonly<Record<string, string>>,
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
    // Hook for "images of unknown origin refused" (issue 13 item 6): it needs the controller's image
    // origins (per host and image id), which another change adds; the rule goes here as
    // image.unknownOrigin once they exist.
  }
  return null;
}
