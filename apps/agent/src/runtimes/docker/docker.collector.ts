import { access } from 'node:fs/promises';
import type { RuntimeStatus } from '@corral/protocol';
import type Dockerode from 'dockerode';
import type { CollectorOutput, RuntimeCollector } from '../../collectors/collector.js';
import { backoffDelay } from '../../lib/backoff.js';
import type { Logger } from '../../lib/logger.js';
import { mapLimit } from '../../lib/map-limit.js';
import type { DockerDriver } from './docker.driver.js';
import { isRelevant, splitEvents } from './docker.events.js';
import {
  bridgeLookup,
  type InspectDetail,
  mapContainer,
  mapImage,
  mapNetwork,
  mapVolume,
  pickInspectDetail,
  type VolumeInfo,
  volumeUsers,
} from './docker.mapper.js';

export interface DockerCollectorOptions {
  driver: DockerDriver;
  logger: Logger;
  // Checked by probe() so a missing socket reads as "not installed" rather than a connection error.
  socketPath?: string;
  inspectConcurrency?: number;
  reconnect?: { baseMs: number; maxMs: number };
}

interface CachedDetail {
  key: string;
  detail: InspectDetail;
}

// What a cached inspect result depends on: the state, plus the parenthesised parts of Docker's Status text
// (exit code, health), which change without a state change when no event stream evicted the entry.
function detailKey(c: Dockerode.ContainerInfo): string {
  return [c.State, ...(c.Status?.match(/\([^)]*\)/g) ?? [])].join(' ');
}

export class DockerCollector implements RuntimeCollector {
  readonly name = 'docker';
  // Inspect results by container id, reused while detailKey() stays the same; events evict entries.
  private readonly details = new Map<string, CachedDetail>();
  // Eviction order: an inspect that was in flight when its entry (or every entry) was evicted may have
  // read the container before the change, so its answer serves that one run but is not cached.
  private evictions = 0;
  private readonly evictedAt = new Map<string, number>();
  private clearedAt = 0;

  constructor(private readonly options: DockerCollectorOptions) {}

  // After a command: those containers' details (every container's without ids) are read again.
  invalidate(ids?: readonly string[]): void {
    if (!ids) {
      this.details.clear();
      this.evictedAt.clear();
      this.clearedAt = ++this.evictions;
      return;
    }
    for (const id of ids) this.evict(id);
  }

  private evict(id: string): void {
    this.details.delete(id);
    this.evictedAt.set(id, ++this.evictions);
  }

  async probe(): Promise<RuntimeStatus> {
    const { socketPath, driver } = this.options;
    if (socketPath) {
      try {
        await access(socketPath);
      } catch {
        return { name: 'docker', available: false, version: null, reason: `Docker socket ${socketPath} not found` };
      }
    }
    try {
      const version = await driver.version();
      return { name: 'docker', available: true, version: version.Version ?? null, reason: null };
    } catch (error) {
      return {
        name: 'docker',
        available: false,
        version: null,
        reason: `Docker daemon unreachable: ${message(error)}`,
      };
    }
  }

  async collect(): Promise<CollectorOutput> {
    const { driver } = this.options;
    let lists: [Dockerode.ContainerInfo[], Dockerode.NetworkInspectInfo[], Dockerode.ImageInfo[], VolumeInfo[]];
    try {
      lists = await Promise.all([
        driver.listContainers({ all: true }),
        driver.listNetworks(),
        driver.listImages(),
        driver.listVolumes().then((r) => (r.Volumes ?? []) as VolumeInfo[]),
      ]);
    } catch (error) {
      throw new Error(`Docker: could not list state: ${message(error)}`, { cause: error });
    }
    const [containers, networks, images, volumes] = lists;
    const bridges = bridgeLookup(networks);
    const users = volumeUsers(containers);
    const details = await this.inspectAll(containers);
    return {
      containers: containers
        .filter((c) => details.get(c.Id) !== 'gone')
        .map((c) => mapContainer(c, (details.get(c.Id) as InspectDetail | undefined) ?? null, bridges)),
      networks: networks.map(mapNetwork),
      images: images.map(mapImage),
      volumes: volumes.map((v) => mapVolume(v, users)),
    };
  }

  watch(onChange: () => void): () => void {
    const { driver, logger } = this.options;
    const reconnect = this.options.reconnect ?? { baseMs: 500, maxMs: 30_000 };
    let stopped = false;
    let attempt = 0;
    let stream: NodeJS.ReadableStream | null = null;
    let timer: NodeJS.Timeout | null = null;

    const retry = (reason: unknown): void => {
      stream = null;
      if (stopped) return;
      const delay = backoffDelay(attempt++, reconnect);
      logger.warn('docker event stream lost, reconnecting', { error: reason, delayMs: delay });
      // Anything may have happened while we were not listening.
      onChange();
      timer = setTimeout(connect, delay);
      timer.unref();
    };

    const connect = (): void => {
      timer = null;
      if (stopped) return;
      driver.getEvents({ filters: { type: ['container', 'image', 'volume', 'network'] } }).then(
        (events) => {
          if (stopped) {
            destroy(events);
            return;
          }
          stream = events;
          if (attempt > 0) onChange();
          attempt = 0;
          let buffer = '';
          let ended = false;
          const finish = (reason: unknown): void => {
            if (ended) return;
            ended = true;
            retry(reason);
          };
          events.on('data', (chunk: Buffer | string) => {
            const split = splitEvents(buffer + chunk.toString());
            buffer = split.rest;
            const relevant = split.events.filter(isRelevant);
            for (const event of relevant) if (event.type === 'container' && event.id) this.evict(event.id);
            if (relevant.length > 0) onChange();
          });
          events.on('error', (error) => finish(error));
          events.on('end', () => finish(new Error('event stream ended')));
          events.on('close', () => finish(new Error('event stream closed')));
        },
        (error: unknown) => retry(error),
      );
    };

    connect();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (stream) destroy(stream);
    };
  }

  // Returns inspect details per id, or 'gone' for containers removed between list and inspect.
  private async inspectAll(containers: Dockerode.ContainerInfo[]): Promise<Map<string, InspectDetail | 'gone'>> {
    const out = new Map<string, InspectDetail | 'gone'>();
    const live = new Set(containers.map((c) => c.Id));
    for (const id of this.details.keys()) if (!live.has(id)) this.details.delete(id);
    for (const id of this.evictedAt.keys()) if (!live.has(id)) this.evictedAt.delete(id);
    const stale = containers.filter((c) => {
      const cached = this.details.get(c.Id);
      if (cached && cached.key === detailKey(c)) {
        out.set(c.Id, cached.detail);
        return false;
      }
      return true;
    });
    await mapLimit(stale, this.options.inspectConcurrency ?? 8, async (c) => {
      const asked = this.evictions;
      try {
        const detail = pickInspectDetail(await this.options.driver.getContainer(c.Id).inspect());
        if (this.clearedAt <= asked && (this.evictedAt.get(c.Id) ?? 0) <= asked) {
          this.details.set(c.Id, { key: detailKey(c), detail });
        }
        out.set(c.Id, detail);
      } catch (error) {
        if (statusCode(error) === 404) {
          out.set(c.Id, 'gone');
          return;
        }
        throw new Error(`Docker: could not inspect container ${c.Id.slice(0, 12)}: ${message(error)}`, {
          cause: error,
        });
      }
    });
    return out;
  }
}

function destroy(stream: NodeJS.ReadableStream): void {
  (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
