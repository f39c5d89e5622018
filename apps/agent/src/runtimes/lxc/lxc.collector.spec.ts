import { readFileSync } from 'node:fs';
import { ContainerRecordSchema } from '@corral/protocol';
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { CommandError } from '../../lib/run.js';
import { LxcCollector } from './lxc.collector.js';
import type { LxcDriver } from './lxc.driver.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../test/fixtures/lxc/${name}`, import.meta.url), 'utf8');

interface FakeOptions {
  paths?: Record<string, string>;
  listError?: Error;
  infoError?: Error;
  interfacesError?: Error;
  interfaces?: string;
  versionError?: Error;
  missingConfig?: string[];
}

function fakeDriver(opts: FakeOptions = {}): LxcDriver {
  const paths = opts.paths ?? { '/lxc': fixture('lxc-ls.txt') };
  return {
    version: vi.fn(async () => {
      if (opts.versionError) throw opts.versionError;
      return '5.0.2';
    }),
    list: vi.fn(async (p: string) => {
      if (opts.listError) throw opts.listError;
      return paths[p] ?? '';
    }),
    info: vi.fn(async () => {
      if (opts.infoError) throw opts.infoError;
      return fixture('lxc-info.running.txt');
    }),
    readConfig: vi.fn(async (_p: string, name: string) => {
      if (opts.missingConfig?.includes(name)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return fixture('config.busybox');
    }),
    interfaces: vi.fn(async () => {
      if (opts.interfacesError) throw opts.interfacesError;
      return opts.interfaces ?? fixture('ip-addr.busybox.json');
    }),
    pathExists: vi.fn(async (p: string) => p in paths),
  };
}

describe('LxcCollector', () => {
  it('maps lxc-ls, config, lxc-info and the network namespace into container records', async () => {
    const driver = fakeDriver();
    const sut = new LxcCollector({ driver, logger: silentLogger, lxcPaths: ['/lxc'] });
    const { containers } = await sut.collect();
    expect(containers).toHaveLength(2);
    for (const c of containers!) ContainerRecordSchema.parse(c);
    const running = containers!.find((c) => c.name === 'fixc1')!;
    expect(running).toMatchObject({
      runtime: 'lxc',
      id: 'fixc1',
      lxcPath: '/lxc',
      state: 'running',
      status: 'RUNNING',
      pid: 12278,
      ipv4: ['10.0.3.139', '10.0.3.250'],
      ipv6: ['fd00::5'],
      autostart: false,
      memoryBytes: 1011712,
      networks: [{ name: 'eth0', ipv4: '10.0.3.149', ipv6: null, mac: 'b6:71:57:1c:0f:cf', bridge: 'lxcbr0' }],
    });
    expect(driver.interfaces).toHaveBeenCalledTimes(1);
    expect(driver.interfaces).toHaveBeenCalledWith(12278);
    const stopped = containers!.find((c) => c.state === 'stopped')!;
    expect(stopped).toMatchObject({ pid: null, memoryBytes: null, autostart: true, groups: ['web', 'db'] });
    expect(stopped.networks[0]).toMatchObject({ ipv4: null, bridge: 'lxcbr0' });
  });

  it('falls back to lxc-ls addresses when the network namespace cannot be read', async () => {
    const interfacesError = new CommandError('nsenter', ['--target', '12278'], 'exit', 1, 'No such process', 'x');
    const debug = vi.fn();
    const logger = { ...silentLogger, debug };
    const sut = new LxcCollector({ driver: fakeDriver({ interfacesError }), logger, lxcPaths: ['/lxc'] });
    const { containers } = await sut.collect();
    expect(containers!.find((c) => c.name === 'fixc1')!.networks).toEqual([
      { name: 'eth0', ipv4: '10.0.3.139', ipv6: 'fd00::5', mac: null, bridge: 'lxcbr0' },
    ]);
    expect(debug).toHaveBeenCalledWith(
      'could not read the network namespace of an lxc container',
      expect.objectContaining({ name: 'fixc1', pid: 12278 }),
    );
  });

  it('falls back as well when ip prints something that is not JSON', async () => {
    const driver = fakeDriver({ interfaces: 'Object "addr" is unknown' });
    const sut = new LxcCollector({ driver, logger: silentLogger, lxcPaths: ['/lxc'] });
    const { containers } = await sut.collect();
    expect(containers!.find((c) => c.name === 'fixc1')!.networks[0]).toMatchObject({ mac: null, ipv4: '10.0.3.139' });
  });

  it('treats a missing lxcpath as no containers, and reads every lxcpath', async () => {
    const driver = fakeDriver({ paths: { '/a': fixture('lxc-ls.txt') } });
    const sut = new LxcCollector({ driver, logger: silentLogger, lxcPaths: ['/a', '/missing'] });
    const { containers } = await sut.collect();
    expect(containers!.map((c) => c.lxcPath)).toEqual(['/a', '/a']);
    expect(driver.list).toHaveBeenCalledTimes(1);
  });

  it('throws when lxc-ls fails, rather than reporting no containers', async () => {
    const listError = new CommandError('lxc-ls', ['-P', '/lxc'], 'exit', 1, 'oops', 'exited with code 1');
    const sut = new LxcCollector({ driver: fakeDriver({ listError }), logger: silentLogger, lxcPaths: ['/lxc'] });
    await expect(sut.collect()).rejects.toThrow(/could not list containers in \/lxc/);
  });

  it('drops a container whose config vanished and keeps one whose lxc-info failed', async () => {
    const infoError = new Error('container stopped');
    const driver = fakeDriver({ infoError, missingConfig: ['a-much-longer-container-name-for-columns'] });
    const sut = new LxcCollector({ driver, logger: silentLogger, lxcPaths: ['/lxc'] });
    const { containers } = await sut.collect();
    expect(containers!.map((c) => [c.name, c.memoryBytes])).toEqual([['fixc1', null]]);
  });

  it('probe reports a missing lxc-ls as unavailable with the reason', async () => {
    const versionError = new CommandError('lxc-ls', ['--version'], 'not-found', null, '', 'not found on PATH');
    const sut = new LxcCollector({ driver: fakeDriver({ versionError }), logger: silentLogger });
    expect(await sut.probe()).toEqual({
      name: 'lxc',
      available: false,
      version: null,
      reason: 'lxc-ls not found (is the lxc package installed?)',
    });
    expect(sut.lxcPaths).toEqual(['/var/lib/lxc']);
  });

  it('probe reports the version when lxc-ls runs', async () => {
    const sut = new LxcCollector({ driver: fakeDriver(), logger: silentLogger });
    expect(await sut.probe()).toEqual({ name: 'lxc', available: true, version: '5.0.2', reason: null });
  });

  it('watch polls state and calls onChange when it changes', async () => {
    vi.useFakeTimers();
    try {
      const paths: Record<string, string> = { '/nonexistent-corral-lxc': 'NAME STATE PID\nc1 STOPPED -\n' };
      const sut = new LxcCollector({
        driver: fakeDriver({ paths }),
        logger: silentLogger,
        lxcPaths: ['/nonexistent-corral-lxc'],
        pollMs: 1_000,
      });
      const onChange = vi.fn();
      const stop = sut.watch(onChange);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(onChange).not.toHaveBeenCalled();
      paths['/nonexistent-corral-lxc'] = 'NAME STATE PID\nc1 RUNNING 42\n';
      await vi.advanceTimersByTimeAsync(1_000);
      expect(onChange).toHaveBeenCalledTimes(1);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('sees a stop after a start that only a collection saw, between two polls', async () => {
    vi.useFakeTimers();
    try {
      const at = '/nonexistent-corral-lxc';
      const paths: Record<string, string> = { [at]: 'NAME STATE PID\nc1 STOPPED -\n' };
      const sut = new LxcCollector({
        driver: fakeDriver({ paths }),
        logger: silentLogger,
        lxcPaths: [at],
        pollMs: 2_000,
      });
      const onChange = vi.fn();
      const stop = sut.watch(onChange);
      await vi.advanceTimersByTimeAsync(0);
      // Started just after a poll: the lxcpath's files changed, and the collection that followed saw it run.
      paths[at] = 'NAME STATE PID\nc1 RUNNING 42\n';
      const running = await sut.collect();
      expect(running.containers.map((c) => c.state)).toEqual(['running']);
      // Stopped before the next poll, which reads what the poll before it read.
      paths[at] = 'NAME STATE PID\nc1 STOPPED -\n';
      await vi.advanceTimersByTimeAsync(2_000);
      expect(onChange).toHaveBeenCalledTimes(1);
      // Nothing changed since: no more collections.
      await sut.collect();
      await vi.advanceTimersByTimeAsync(4_000);
      expect(onChange).toHaveBeenCalledTimes(1);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
