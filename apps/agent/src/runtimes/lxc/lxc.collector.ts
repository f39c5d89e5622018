import type { ContainerRecord, RuntimeStatus } from '@corral/protocol';
import type { CollectorOutput, RuntimeCollector } from '../../collectors/collector.js';
import { watchDirectories } from '../../lib/dir-watcher.js';
import type { Logger } from '../../lib/logger.js';
import { mapLimit } from '../../lib/map-limit.js';
import { CommandError } from '../../lib/run.js';
import type { LxcDriver } from './lxc.driver.js';
import { mapLxcContainer } from './lxc.mapper.js';
import { type LxcConfig, parseLxcConfig } from './lxc-config.parser.js';
import { parseLxcInfo } from './lxc-info.parser.js';
import { type LxcLsRow, parseLxcLs } from './lxc-ls.parser.js';
import { type NetnsInterface, parseNetnsInterfaces } from './lxc-netns.parser.js';

export const DEFAULT_LXC_PATH = '/var/lib/lxc';

export interface LxcCollectorOptions {
  driver: LxcDriver;
  logger: Logger;
  lxcPaths?: readonly string[];
  // State changes do not touch the lxcpath, so watch() also polls lxc-ls this often.
  pollMs?: number;
  concurrency?: number;
}

// What the state poll compares: each container's state, init pid and addresses. Addresses are
// included because DHCP answers seconds after the state turns RUNNING.
function stateOf(lxcPath: string, rows: readonly LxcLsRow[] | null): string {
  if (rows === null) return `${lxcPath}:-`;
  return `${lxcPath}:${rows.map((r) => `${r.name}=${r.state}/${r.pid ?? ''}/${r.ipv4.join(' ')}/${r.ipv6.join(' ')}`).join(',')}`;
}

export class LxcCollector implements RuntimeCollector {
  readonly name = 'lxc';
  readonly lxcPaths: readonly string[];
  // The state last read, by the poll or by a collection, whichever read it last. The poll compares
  // with this, not with its own previous read: a container started and stopped between two polls,
  // whose start a collection reported (the lxcpath's files changed), must still have its stop seen.
  private knownState: string | null = null;

  constructor(private readonly options: LxcCollectorOptions) {
    this.lxcPaths = options.lxcPaths?.length ? [...new Set(options.lxcPaths)] : [DEFAULT_LXC_PATH];
  }

  async probe(): Promise<RuntimeStatus> {
    try {
      return { name: 'lxc', available: true, version: await this.options.driver.version(), reason: null };
    } catch (error) {
      const reason =
        error instanceof CommandError && error.failure === 'not-found'
          ? 'lxc-ls not found (is the lxc package installed?)'
          : `lxc-ls failed: ${error instanceof Error ? error.message : String(error)}`;
      return { name: 'lxc', available: false, version: null, reason };
    }
  }

  async collect(): Promise<CollectorOutput> {
    const perPath = await Promise.all(this.lxcPaths.map((p) => this.collectPath(p)));
    this.knownState = perPath.map((r) => r.state).join('\n');
    return { containers: perPath.flatMap((r) => r.records) };
  }

  watch(onChange: () => void): () => void {
    const { logger } = this.options;
    const stopDirs = watchDirectories(this.lxcPaths, onChange, logger, { retryMs: 5_000 });
    let polling = false;
    const poll = async (): Promise<void> => {
      if (polling) return;
      polling = true;
      try {
        const state = await this.stateSignature();
        if (this.knownState !== null && state !== this.knownState) onChange();
        this.knownState = state;
      } catch (error) {
        logger.warn('lxc state poll failed', { error });
      } finally {
        polling = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), this.options.pollMs ?? 3_000);
    timer.unref();
    return () => {
      clearInterval(timer);
      stopDirs();
    };
  }

  private async stateSignature(): Promise<string> {
    const parts = await Promise.all(
      this.lxcPaths.map(async (p) => {
        if (!(await this.options.driver.pathExists(p))) return stateOf(p, null);
        return stateOf(p, parseLxcLs(await this.options.driver.list(p, ['NAME', 'STATE', 'PID', 'IPV4', 'IPV6'])).rows);
      }),
    );
    return parts.join('\n');
  }

  // The path's records, and its state as the poll would read it.
  private async collectPath(lxcPath: string): Promise<{ records: ContainerRecord[]; state: string }> {
    const { driver, logger } = this.options;
    if (!(await driver.pathExists(lxcPath))) return { records: [], state: stateOf(lxcPath, null) };
    let text: string;
    try {
      text = await driver.list(lxcPath);
    } catch (error) {
      throw new Error(`LXC: could not list containers in ${lxcPath}: ${(error as Error).message}`, { cause: error });
    }
    const { rows, warnings } = parseLxcLs(text);
    for (const warning of warnings) logger.warn('skipped an lxc-ls line', { lxcPath, ...warning });
    const records = await mapLimit(rows, this.options.concurrency ?? 4, (row) => this.collectOne(lxcPath, row));
    return { records: records.filter((r): r is ContainerRecord => r !== null), state: stateOf(lxcPath, rows) };
  }

  // Returns null when the container vanished between lxc-ls and reading its details.
  private async collectOne(lxcPath: string, row: LxcLsRow): Promise<ContainerRecord | null> {
    const { driver, logger } = this.options;
    let config: LxcConfig;
    try {
      config = parseLxcConfig(await driver.readConfig(lxcPath, row.name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        logger.debug('lxc container gone before its config was read', { lxcPath, name: row.name });
        return null;
      }
      throw new Error(`LXC: could not read config of ${row.name} in ${lxcPath}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let memoryBytes: number | null = null;
    let pid = row.pid;
    if (row.state !== 'STOPPED') {
      try {
        const info = parseLxcInfo(await driver.info(lxcPath, row.name));
        memoryBytes = info.memoryBytes;
        pid ??= info.pid;
      } catch (error) {
        // Memory is an extra: a container stopping mid-read must not hide the container itself.
        logger.warn('lxc-info failed, memory use unknown', { lxcPath, name: row.name, error });
      }
    }
    const live = row.state !== 'STOPPED' && pid !== null ? await this.readInterfaces(lxcPath, row.name, pid) : null;
    return mapLxcContainer(lxcPath, row, config, memoryBytes, live);
  }

  // The container's interfaces as its own network namespace sees them, or null when that cannot be read.
  private async readInterfaces(lxcPath: string, name: string, pid: number): Promise<NetnsInterface[] | null> {
    const { driver, logger } = this.options;
    let text: string;
    try {
      text = await driver.interfaces(pid);
    } catch (error) {
      logger.debug('could not read the network namespace of an lxc container', { lxcPath, name, pid, error });
      return null;
    }
    try {
      const { interfaces, warnings } = parseNetnsInterfaces(text);
      for (const warning of warnings) logger.warn('skipped an ip -j entry', { lxcPath, name, ...warning });
      return interfaces;
    } catch (error) {
      logger.warn('could not parse the interfaces of an lxc container', { lxcPath, name, pid, error });
      return null;
    }
  }
}
