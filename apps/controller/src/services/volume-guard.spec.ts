import type { ContainerRecord } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import {
  mergeVolumeUses,
  repositoryOf,
  type VolumeUse,
  volumeConflict,
  volumeFamily,
  volumeUsesOf,
} from './volume-guard.js';

const use = (family: string, at: string, containers = [`${family}-1`]): VolumeUse => ({
  volume: 'data',
  family,
  repository: family,
  imageId: `sha256:${family}`,
  containers,
  firstSeenAt: new Date(at),
  lastUsedAt: new Date(at),
});

describe('volume families', () => {
  it('are the repository without tag or digest', () => {
    expect(repositoryOf('postgres:16')).toBe('postgres');
    expect(repositoryOf('registry:5000/team/app:1.2')).toBe('registry:5000/team/app');
    expect(repositoryOf('registry:5000/team/app')).toBe('registry:5000/team/app');
    expect(repositoryOf('app@sha256:0123456789abcdef0123456789abcdef')).toBe('app');
    expect(repositoryOf('sha256:0123456789abcdef')).toBeNull();
  });

  it('or the corral.volume.family label, or the image id of an untagged image', () => {
    expect(volumeFamily('mariadb:11', 'sha256:x', { 'corral.volume.family': 'sql' })).toBe('sql');
    expect(volumeFamily('0123456789abcdef', 'sha256:0123456789abcdef', {})).toBe('sha256:0123456789abcdef');
  });

  it('come from Docker containers mounting named volumes', () => {
    const c = {
      runtime: 'docker',
      name: 'db1',
      image: 'postgres:16',
      imageId: 'sha256:pg',
      labels: {},
      mounts: [
        { type: 'volume', name: 'pgdata', source: null, destination: '/var/lib/postgresql', readOnly: false },
        { type: 'bind', name: null, source: '/etc/x', destination: '/x', readOnly: true },
      ],
    } as unknown as ContainerRecord;
    expect(volumeUsesOf('h1', c)).toEqual([
      {
        hostId: 'h1',
        volume: 'pgdata',
        family: 'postgres',
        repository: 'postgres',
        imageId: 'sha256:pg',
        containers: ['db1'],
      },
    ]);
    expect(mergeVolumeUses([...volumeUsesOf('h1', c), ...volumeUsesOf('h1', { ...c, name: 'db2' })])).toEqual([
      expect.objectContaining({ volume: 'pgdata', containers: ['db1', 'db2'] }),
    ]);
  });
});

describe('the volume guard', () => {
  it('allows a volume nobody used and one the same family used last', () => {
    expect(volumeConflict('data', [], 'postgres')).toBeNull();
    expect(volumeConflict('data', [use('postgres', '2026-01-01')], 'postgres')).toBeNull();
    expect(volumeConflict('data', [use('mysql', '2026-01-01'), use('postgres', '2026-02-01')], 'postgres')).toBeNull();
  });

  it('refuses a volume another family used last, naming it, its containers and the last use', () => {
    const sut = volumeConflict(
      'data',
      [use('postgres', '2026-01-01'), use('mysql', '2026-02-01', ['m2', 'm1'])],
      'postgres',
    );
    expect(sut).toEqual({
      volume: 'data',
      family: 'mysql',
      containers: ['m1', 'm2'],
      lastUsedAt: new Date('2026-02-01'),
    });
  });
});
