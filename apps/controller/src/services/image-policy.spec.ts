import { describe, expect, it } from 'vitest';
import type { ImagePolicyDto } from '../dtos/image-policy.dto.js';
import { checkImage } from './image-policy.js';
import { registryOf } from './registry.service.js';

const policy = (over: Partial<ImagePolicyDto>): ImagePolicyDto => ({
  id: '00000000-0000-4000-8000-000000000001',
  name: 'p',
  selector: [],
  allowedRegistries: null,
  requireDigest: false,
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

describe('registryOf', () => {
  it("is the reference's domain, docker.io without one", () => {
    expect(registryOf('10.0.0.5:5000/a/b:1')).toBe('10.0.0.5:5000');
    expect(registryOf('library/busybox')).toBe('docker.io');
    expect(registryOf('x:y:z')).toBeNull();
  });
});
