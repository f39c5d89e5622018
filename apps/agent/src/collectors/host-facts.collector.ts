import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import type { HostFacts, LoadReport, RuntimeStatus } from '@corral/protocol';
import type { Logger } from '../lib/logger.js';
import { parseIpForward } from './bridges/ip-json.parser.js';
import { memoryFromMeminfo, prettyName } from './host-facts.parser.js';

// The host's files and kernel calls, replaceable in tests.
export interface HostSource {
  readFile(path: string): Promise<string>;
  statfs(path: string): Promise<{ blocks: number; bavail: number; bsize: number }>;
  hostname(): string;
  release(): string;
  arch(): string;
  cpus(): { model: string }[];
  uptime(): number;
  loadavg(): number[];
}

export const nodeHostSource: HostSource = {
  readFile: (path) => readFile(path, 'utf8'),
  statfs: (path) => statfs(path),
  hostname: () => os.hostname(),
  release: () => os.release(),
  arch: () => os.arch(),
  cpus: () => os.cpus(),
  uptime: () => os.uptime(),
  loadavg: () => os.loadavg(),
};

export interface FactsOptions {
  // Directories whose filesystems are reported (lxcpaths, Docker's data root, ...).
  dataDirs: readonly string[];
  runtimes: RuntimeStatus[];
  // Reads net.ipv4.ip_forward in the namespace being reported; defaults to the agent's own.
  ipForward?: () => Promise<string>;
  host?: HostSource;
  logger?: Logger;
}

export async function collectFacts(options: FactsOptions): Promise<HostFacts> {
  const host = options.host ?? nodeHostSource;
  const [meminfo, osRelease, disks, ipForward] = await Promise.all([
    host.readFile('/proc/meminfo'),
    readOsRelease(host),
    collectDisks(host, options.dataDirs, options.logger),
    readIpForward(host, options),
  ]);
  const memory = memoryFromMeminfo(meminfo);
  const cpus = host.cpus();
  return {
    hostname: host.hostname(),
    os: osRelease === null ? null : prettyName(osRelease),
    kernel: host.release(),
    arch: host.arch(),
    cpuCount: Math.max(1, cpus.length),
    cpuModel: cpus[0]?.model.trim() || null,
    memoryTotalBytes: memory.totalBytes,
    memoryAvailableBytes: memory.availableBytes,
    disks,
    uptimeSeconds: Math.max(0, host.uptime()),
    ipForward,
    runtimes: options.runtimes,
  };
}

export async function collectLoad(host: HostSource = nodeHostSource): Promise<LoadReport> {
  const [load1 = 0, load5 = 0, load15 = 0] = host.loadavg();
  const memory = memoryFromMeminfo(await host.readFile('/proc/meminfo'));
  return {
    load1,
    load5,
    load15,
    memoryAvailableBytes: memory.availableBytes,
    uptimeSeconds: Math.max(0, host.uptime()),
  };
}

// /etc/os-release, falling back to /usr/lib/os-release as os-release(5) specifies.
async function readOsRelease(host: HostSource): Promise<string | null> {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      return await host.readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return null;
}

async function collectDisks(host: HostSource, dirs: readonly string[], logger?: Logger): Promise<HostFacts['disks']> {
  const disks: HostFacts['disks'] = [];
  for (const path of new Set(dirs)) {
    try {
      const fs = await host.statfs(path);
      disks.push({ path, totalBytes: fs.blocks * fs.bsize, availableBytes: fs.bavail * fs.bsize });
    } catch (error) {
      // A data dir of a runtime that is not installed holds nothing to report.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      logger?.debug('data dir missing, not reported', { path });
    }
  }
  return disks;
}

async function readIpForward(host: HostSource, options: FactsOptions): Promise<boolean | null> {
  try {
    const text = options.ipForward ? await options.ipForward() : await host.readFile('/proc/sys/net/ipv4/ip_forward');
    return parseIpForward(text);
  } catch (error) {
    // The field is nullable for exactly this: report "unknown" and say why in the log.
    options.logger?.warn('could not read net.ipv4.ip_forward', { error });
    return null;
  }
}
