import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCgroupLayout, limitConfig } from './cgroup-limits.js';

describe('limitConfig', () => {
  it('uses memory.max and cpu.max on a unified hierarchy', () => {
    expect(limitConfig({ memoryBytes: 64 * 1024 * 1024, cpus: 1.5 }, 'v2')).toEqual([
      ['lxc.cgroup2.memory.max', '67108864'],
      ['lxc.cgroup2.cpu.max', '150000 100000'],
    ]);
  });

  it('uses memory.limit_in_bytes and the CFS period and quota on a legacy hierarchy, period first', () => {
    expect(limitConfig({ memoryBytes: 67108864, cpus: 0.5 }, 'v1')).toEqual([
      ['lxc.cgroup.memory.limit_in_bytes', '67108864'],
      ['lxc.cgroup.cpu.cfs_period_us', '100000'],
      ['lxc.cgroup.cpu.cfs_quota_us', '50000'],
    ]);
  });

  it('raises a tiny cpu share to the kernel minimum quota', () => {
    expect(limitConfig({ cpus: 0.001 }, 'v2')).toEqual([['lxc.cgroup2.cpu.max', '1000 100000']]);
  });

  it('writes nothing without limits', () => {
    expect(limitConfig({}, 'v2')).toEqual([]);
  });
});

describe('detectCgroupLayout', () => {
  it('says v2 when the root has cgroup.controllers and v1 when it does not', async () => {
    const root = await mkdtemp(join(tmpdir(), 'corral-cgroup-'));
    try {
      expect(await detectCgroupLayout(root)).toBe('v1');
      await writeFile(join(root, 'cgroup.controllers'), 'cpu memory\n');
      expect(await detectCgroupLayout(root)).toBe('v2');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
