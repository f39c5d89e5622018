import { readFileSync } from 'node:fs';
import { HostFactsSchema, LoadReportSchema } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { collectFacts, collectLoad, type HostSource } from './host-facts.collector.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/proc/${name}`, import.meta.url), 'utf8');

function fakeHost(files: Record<string, string>): HostSource {
  return {
    readFile: async (path) => {
      if (path in files) return files[path]!;
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    },
    statfs: async (path) => {
      if (path === '/missing') throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return { blocks: 1000, bavail: 250, bsize: 4096 };
    },
    hostname: () => 'h1',
    release: () => '6.1.0-test',
    arch: () => 'x64',
    cpus: () => [{ model: ' Test CPU ' }, { model: ' Test CPU ' }],
    uptime: () => 123.5,
    loadavg: () => [0.5, 0.25, 0.125],
  };
}

const files = {
  '/proc/meminfo': fixture('meminfo'),
  '/etc/os-release': fixture('os-release'),
  '/proc/sys/net/ipv4/ip_forward': '1\n',
};

describe('collectFacts', () => {
  it('gathers host facts', async () => {
    const runtimes = [{ name: 'docker' as const, available: true, version: '20.10', reason: null }];
    const sut = await collectFacts({ dataDirs: ['/var/lib/lxc', '/missing'], runtimes, host: fakeHost(files) });
    expect(HostFactsSchema.parse(sut)).toEqual({
      hostname: 'h1',
      os: 'Debian GNU/Linux 12 (bookworm)',
      kernel: '6.1.0-test',
      arch: 'x64',
      cpuCount: 2,
      cpuModel: 'Test CPU',
      memoryTotalBytes: 24684096 * 1024,
      memoryAvailableBytes: 23982228 * 1024,
      disks: [{ path: '/var/lib/lxc', totalBytes: 4096000, availableBytes: 1024000 }],
      uptimeSeconds: 123.5,
      ipForward: true,
      runtimes,
    });
  });

  it('reports ip_forward as unknown when it cannot be read, and reads it through the given reader', async () => {
    const { '/proc/sys/net/ipv4/ip_forward': _, ...rest } = files;
    expect((await collectFacts({ dataDirs: [], runtimes: [], host: fakeHost(rest) })).ipForward).toBeNull();
    const viaNetns = await collectFacts({
      dataDirs: [],
      runtimes: [],
      host: fakeHost(rest),
      ipForward: async () => '0',
    });
    expect(viaNetns.ipForward).toBe(false);
  });

  it('throws when /proc/meminfo cannot be read', async () => {
    await expect(collectFacts({ dataDirs: [], runtimes: [], host: fakeHost({}) })).rejects.toThrow(/meminfo/);
  });
});

describe('collectLoad', () => {
  it('returns the load report', async () => {
    const sut = await collectLoad(fakeHost(files));
    expect(LoadReportSchema.parse(sut)).toEqual({
      load1: 0.5,
      load5: 0.25,
      load15: 0.125,
      memoryAvailableBytes: 23982228 * 1024,
      uptimeSeconds: 123.5,
    });
  });
});
