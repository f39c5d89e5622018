import { describe, expect, it } from 'vitest';
import type { ImagePolicyDto } from '../dtos/image-policy.dto.js';
import { checkImage, imageNamesOf } from './image-policy.js';
import { registryOf } from './registry.service.js';

const policy = (over: Partial<ImagePolicyDto>): ImagePolicyDto => ({
  id: '00000000-0000-4000-8000-000000000001',
  name: 'p',
  selector: [],
  allowedRegistries: null,
  requireDigest: false,
  refuseUnknownOrigin: false,
  createdBy: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...over,
});
const DIGEST = `sha256:${'b'.repeat(64)}`;

describe('checkImage', () => {
  it('refuses a tag where a matching policy requires a digest, and allows the digest', () => {
    const sut = [policy({ name: 'pinned', requireDigest: true })];
    expect(checkImage('reg:5000/app:1', sut, {})).toMatchObject({
      rule: 'image.requireDigest',
      policy: 'pinned',
      field: 'image',
    });
    expect(checkImage(`reg:5000/app@${DIGEST}`, sut, {})).toBeNull();
  });

  it('allows only the listed registries; a reference without one is docker.io', () => {
    const sut = [policy({ name: 'internal', allowedRegistries: ['reg:5000'] })];
    expect(checkImage('reg:5000/app:1', sut, {})).toBeNull();
    expect(checkImage('busybox:latest', sut, {})?.message).toMatch(
      /comes from docker\.io, which image policy internal does not allow \(allowed: reg:5000\)/,
    );
    expect(checkImage('other.example/app:1', sut, {})?.rule).toBe('image.allowedRegistries');
  });

  it('applies only on hosts whose agent labels match, and every matching policy applies', () => {
    const sut = [
      policy({ name: 'prod-pinned', selector: [{ label: 'env', op: '=', value: 'prod' }], requireDigest: true }),
      policy({ name: 'internal', allowedRegistries: ['reg:5000'] }),
    ];
    expect(checkImage('reg:5000/app:1', sut, { env: 'dev' })).toBeNull();
    expect(checkImage('reg:5000/app:1', sut, { env: 'prod' })?.policy).toBe('prod-pinned');
    expect(checkImage(`docker.io/app@${DIGEST}`, sut, { env: 'prod' })?.policy).toBe('internal');
  });
});

describe('checkImage: images of unknown origin', () => {
  const sut = [
    policy({ name: 'known-only', selector: [{ label: 'env', op: '=', value: 'prod' }], refuseUnknownOrigin: true }),
  ];

  it('refuses an image the host holds with origin unknown, on hosts the selector matches', () => {
    expect(checkImage('app:1', sut, { env: 'prod' }, 'unknown')).toEqual({
      rule: 'image.unknownOrigin',
      policy: 'known-only',
      field: 'image',
      message: expect.stringMatching(/image app:1 on this host is of unknown origin .*image policy known-only refuses/),
    });
    expect(checkImage('app:1', sut, { env: 'dev' }, 'unknown')).toBeNull();
  });

  it('allows images of a known origin, and images the host lacks (the create pulls them)', () => {
    for (const origin of ['pulled', 'loaded', 'copied', 'committed', 'imported']) {
      expect(checkImage('app:1', sut, { env: 'prod' }, origin)).toBeNull();
    }
    expect(checkImage('app:1', sut, { env: 'prod' }, null)).toBeNull();
    expect(checkImage('app:1', sut, { env: 'prod' })).toBeNull();
  });

  it('leaves unknown origins alone where no matching policy refuses them', () => {
    expect(checkImage('app:1', [policy({ requireDigest: false })], {}, 'unknown')).toBeNull();
  });
});

describe('imageNamesOf', () => {
  it('names a tag as Docker records it: familiar Docker Hub names, :latest when none, registries kept', () => {
    expect(imageNamesOf('busybox')).toEqual({ tags: ['busybox:latest'], repoDigests: [], idPrefix: null });
    expect(imageNamesOf('docker.io/library/busybox:1').tags).toEqual(['docker.io/library/busybox:1', 'busybox:1']);
    expect(imageNamesOf('docker.io/corral/app:2').tags).toEqual(['docker.io/corral/app:2', 'corral/app:2']);
    expect(imageNamesOf('10.0.0.5:5000/corral/app:2').tags).toEqual(['10.0.0.5:5000/corral/app:2']);
  });

  it('names a digest by repo digest, and an image id by its prefix', () => {
    expect(imageNamesOf(`r:5000/app@${DIGEST}`)).toEqual({
      tags: [],
      repoDigests: [`r:5000/app@${DIGEST}`],
      idPrefix: null,
    });
    expect(imageNamesOf(`sha256:${'c'.repeat(64)}`).idPrefix).toBe(`sha256:${'c'.repeat(64)}`);
    expect(imageNamesOf('0123456789ab').idPrefix).toBe('sha256:0123456789ab');
    expect(imageNamesOf('x:y:z')).toEqual({ tags: [], repoDigests: [], idPrefix: null });
  });
});

describe('registryOf', () => {
  it("is the reference's domain, docker.io without one", () => {
    expect(registryOf('10.0.0.5:5000/a/b:1')).toBe('10.0.0.5:5000');
    expect(registryOf('library/busybox')).toBe('docker.io');
    expect(registryOf('x:y:z')).toBeNull();
  });
});
