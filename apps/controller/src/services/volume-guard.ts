import type { ContainerRecord } from '@corral/protocol';

// The label that names a container's volume family where the image repository does not fit (two
// repositories of one application, or one generic image used for several).
export const VOLUME_FAMILY_LABEL = 'corral.volume.family';

// The repository of an image reference without its tag or digest (registry:5000/team/app:1.2 ->
// registry:5000/team/app); null for a bare image id.
export function repositoryOf(image: string | null): string | null {
  if (!image) return null;
  if (/^(sha256:)?[0-9a-f]{12,64}$/.test(image)) return null;
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

// A container's volume family: its label, or its image's repository, or (untagged) its image id.
export function volumeFamily(image: string | null, imageId: string | null, labels: Record<string, string>): string {
  const label = labels[VOLUME_FAMILY_LABEL]?.trim();
  if (label) return label;
  return repositoryOf(image) ?? imageId ?? image ?? 'unknown';
}

export interface VolumeUseInput {
  hostId: string;
  volume: string;
  family: string;
  repository: string | null;
  imageId: string;
  containers: string[];
}

// Postgres text holds no NUL; engines may report one (the inventory drops them the same way).
const text = (s: string) => s.replaceAll('\u0000', '');

// The volume uses a Docker container record shows (one per named volume it mounts).
export function volumeUsesOf(hostId: string, c: ContainerRecord): VolumeUseInput[] {
  if (c.runtime !== 'docker') return [];
  const family = text(volumeFamily(c.image, c.imageId, c.labels));
  const repository = repositoryOf(c.image);
  const out: VolumeUseInput[] = [];
  for (const m of c.mounts) {
    if (m.type !== 'volume' || !m.name) continue;
    out.push({
      hostId,
      volume: text(m.name),
      family,
      repository: repository === null ? null : text(repository),
      imageId: text(c.imageId ?? c.image ?? ''),
      containers: [text(c.name)],
    });
  }
  return out;
}

// Merges uses with one key (one write may see a volume's family twice), so an upsert touches a row once.
export function mergeVolumeUses(uses: VolumeUseInput[]): VolumeUseInput[] {
  const byKey = new Map<string, VolumeUseInput>();
  for (const u of uses) {
    const key = [u.hostId, u.volume, u.family, u.imageId].join('\u0000');
    const seen = byKey.get(key);
    if (seen) seen.containers = [...new Set([...seen.containers, ...u.containers])];
    else byKey.set(key, { ...u, containers: [...u.containers] });
  }
  return [...byKey.values()];
}

export interface VolumeUse {
  volume: string;
  family: string;
  repository: string | null;
  imageId: string;
  containers: string[];
  firstSeenAt: Date;
  lastUsedAt: Date;
}

export interface VolumeGuardConflict {
  volume: string;
  family: string;
  containers: string[];
  lastUsedAt: Date;
}

// A volume last used by another family than `family` is refused: the latest use of another family is
// at least as recent as the latest of this one (or this one never used it).
export function volumeConflict(volume: string, uses: readonly VolumeUse[], family: string): VolumeGuardConflict | null {
  const latest = (list: readonly VolumeUse[]) =>
    list.reduce<VolumeUse | null>((m, u) => (!m || u.lastUsedAt > m.lastUsedAt ? u : m), null);
  const other = latest(uses.filter((u) => u.family !== family));
  if (!other) return null;
  const same = latest(uses.filter((u) => u.family === family));
  if (same && same.lastUsedAt > other.lastUsedAt) return null;
  const containers = [...new Set(uses.filter((u) => u.family === other.family).flatMap((u) => u.containers))].sort();
  return { volume, family: other.family, containers, lastUsedAt: other.lastUsedAt };
}
