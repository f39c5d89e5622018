import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { createFileLeaseSource } from './lease.source.js';
import { LeasesCollector } from './leases.collector.js';

describe('LeasesCollector', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corral-leases-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every matching lease file and names the bridge from the file name', async () => {
    await writeFile(join(dir, 'dnsmasq.lxcbr0.leases'), '0 00:16:3e:00:00:01 10.0.3.2 a *\n');
    await writeFile(join(dir, 'dnsmasq.br1.leases'), '0 00:16:3e:00:00:02 10.1.0.2 b *\nbroken\n');
    await writeFile(join(dir, 'other.txt'), 'x');
    const sut = new LeasesCollector({
      source: createFileLeaseSource(`${join(dir, 'dnsmasq.*.leases')}:${join(dir, 'missing', '*.leases')}`),
      logger: silentLogger,
    });
    const { leases } = await sut.collect();
    expect(leases!.map((l) => [l.bridge, l.ip, l.source])).toEqual([
      ['br1', '10.1.0.2', join(dir, 'dnsmasq.br1.leases')],
      ['lxcbr0', '10.0.3.2', join(dir, 'dnsmasq.lxcbr0.leases')],
    ]);
  });

  it('throws when a lease file cannot be read', async () => {
    const source = createFileLeaseSource(join(dir, '*.leases'));
    source.read = async () => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    await writeFile(join(dir, 'a.leases'), '');
    const sut = new LeasesCollector({ source, logger: silentLogger });
    await expect(sut.collect()).rejects.toThrow(/could not read .*a\.leases: EACCES/);
  });

  it('watch fires when dnsmasq replaces a lease file by rename, and not for other files', async () => {
    const sut = new LeasesCollector({
      source: createFileLeaseSource(join(dir, 'dnsmasq.*.leases')),
      logger: silentLogger,
    });
    const onChange = vi.fn();
    const stop = sut.watch(onChange);
    await writeFile(join(dir, 'unrelated.txt'), 'x');
    await new Promise((r) => setTimeout(r, 100));
    expect(onChange).not.toHaveBeenCalled();
    await writeFile(join(dir, 'tmp'), '0 00:16:3e:00:00:01 10.0.3.2 a *\n');
    await rename(join(dir, 'tmp'), join(dir, 'dnsmasq.lxcbr0.leases'));
    await vi.waitFor(() => expect(onChange).toHaveBeenCalled());
    stop();
  });

  it('watch survives a missing directory and starts watching once it appears', async () => {
    const later = join(dir, 'later');
    const sut = new LeasesCollector({
      source: createFileLeaseSource(join(later, 'dnsmasq.*.leases')),
      logger: silentLogger,
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const onChange = vi.fn();
      const stop = sut.watch(onChange);
      const { mkdir } = await import('node:fs/promises');
      await mkdir(later);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(onChange).toHaveBeenCalledTimes(1);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
