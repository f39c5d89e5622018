import { type Change, type RuntimeStatus, sampleDockerContainer, sampleFacts } from '@corral/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agent } from './agent.js';
import type { Collector, CollectorOutput, RuntimeCollector } from './collectors/collector.js';
import { silentLogger } from './lib/logger.js';
import type { Session } from './session/session.js';
import { StateStore } from './state/state-store.js';

// A collector whose runs finish only when the test says so, reporting what the "engine" holds then.
class GatedCollector implements Collector {
  readonly name = 'docker';
  engine: CollectorOutput = { containers: [] };
  runs = 0;
  private gates: (() => void)[] = [];

  async collect(): Promise<CollectorOutput> {
    this.runs++;
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return this.engine;
  }

  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

// A collector whose watcher the test drives, counting its collections.
class WatchedCollector implements Collector {
  readonly name = 'bridges';
  runs: number[] = [];
  signal: () => void = () => {};

  async collect(): Promise<CollectorOutput> {
    this.runs.push(Date.now());
    return { bridges: [] };
  }

  watch(onChange: () => void): () => void {
    this.signal = onChange;
    return () => {};
  }
}

function makeAgent(collector: Collector, published: Change[][]) {
  const session = {
    publish: (changes: Change[]) => published.push(changes),
    start: () => {},
    stop: async () => {},
  } as unknown as Session;
  return new Agent({
    collectors: [collector],
    runtimes: [],
    facts: async () => sampleFacts,
    store: new StateStore(),
    session,
    logger: silentLogger,
    resyncIntervalMs: 60_000,
  });
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Agent.refreshNow', () => {
  it('waits for a collection that started after the call, not one already running', async () => {
    const collector = new GatedCollector();
    const published: Change[][] = [];
    const sut = makeAgent(collector, published);

    // A round already under way read the engine before the command changed it.
    const earlier = sut.refreshNow(['docker']);
    await tick();
    collector.engine = { containers: [sampleDockerContainer] };
    let done = false;
    const refresh = sut.refreshNow(['docker']).then(() => {
      done = true;
    });
    collector.release();
    await earlier;
    await tick();
    expect(done).toBe(false);
    expect(collector.runs).toBe(2);
    collector.release();
    await refresh;
    expect(published.flat()).toEqual([{ op: 'upsert', kind: 'container', record: sampleDockerContainer }]);
  });

  it('folds several requests made during one run into one more run', async () => {
    const collector = new GatedCollector();
    const sut = makeAgent(collector, []);
    const first = sut.refreshNow(['docker']);
    await tick();
    const waiting = [sut.refreshNow(['docker']), sut.refreshNow(['docker'])];
    collector.release();
    await first;
    await tick();
    collector.release();
    await Promise.all(waiting);
    expect(collector.runs).toBe(2);
  });

  it("drops only the named records' cached details before re-reading", async () => {
    const collector = new GatedCollector();
    const invalidated: (readonly string[] | undefined)[] = [];
    Object.assign(collector, { invalidate: (ids?: readonly string[]) => invalidated.push(ids) });
    const sut = makeAgent(collector, []);
    const refresh = sut.refreshNow(['docker'], ['c1']);
    await tick();
    collector.release();
    await refresh;
    expect(invalidated).toEqual([['c1']]);
  });

  it('ignores sources it does not have', async () => {
    const collector = new GatedCollector();
    const sut = makeAgent(collector, []);
    await sut.refreshNow(['lxc']);
    expect(collector.runs).toBe(0);
  });
});

describe('Agent watchers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects a lone change after the debounce, and a stream of them once a second, never postponed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const collector = new WatchedCollector();
    const sut = makeAgent(collector, []);
    await sut.start();
    const start = Date.now();
    collector.runs = [];

    // 50 veths joining a bridge over 3 s: one signal every 60 ms.
    for (let t = 0; t < 3_000; t += 60) {
      collector.signal();
      await vi.advanceTimersByTimeAsync(60);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    const times = collector.runs.map((t) => t - start);
    // A second after the start-up collection, not after the last signal of the stream.
    expect(times[0]).toBe(1_000);
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(times.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1_000);

    // Quiet for a while, then one change: read 100 ms later.
    await vi.advanceTimersByTimeAsync(5_000);
    collector.runs = [];
    const at = Date.now();
    collector.signal();
    await vi.advanceTimersByTimeAsync(200);
    expect(collector.runs.map((t) => t - at)).toEqual([100]);
    await sut.stop();
  });

  it('probes an unavailable runtime when its watcher fires, and reads it at once when it is back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    // A daemon that is down at start and comes back; its event stream reconnecting fires the watcher.
    const runtime = {
      name: 'docker',
      up: false,
      runs: 0,
      signal: () => {},
      async probe(): Promise<RuntimeStatus> {
        return {
          name: 'docker',
          available: this.up,
          version: this.up ? '20.10' : null,
          reason: this.up ? null : 'down',
        };
      },
      async collect(): Promise<CollectorOutput> {
        this.runs++;
        return { containers: [sampleDockerContainer] };
      },
      watch(onChange: () => void) {
        this.signal = onChange;
        return () => {};
      },
    };
    const published: Change[][] = [];
    const session = {
      publish: (changes: Change[]) => published.push(changes),
      start: () => {},
      stop: async () => {},
    } as unknown as Session;
    const sut = new Agent({
      collectors: [],
      runtimes: [runtime as unknown as RuntimeCollector],
      facts: async (runtimes) => ({ ...sampleFacts, runtimes }),
      store: new StateStore(),
      session,
      logger: silentLogger,
      resyncIntervalMs: 60_000,
    });
    await sut.start();
    expect(sut.runtimeStatuses()).toEqual([expect.objectContaining({ available: false })]);
    expect(runtime.runs).toBe(0);

    runtime.up = true;
    runtime.signal();
    // Within the one-collection-a-second limit, well before the 60 s resync.
    await vi.advanceTimersByTimeAsync(1_100);
    expect(sut.runtimeStatuses()).toEqual([expect.objectContaining({ available: true, version: '20.10' })]);
    expect(runtime.runs).toBe(1);
    expect(published.flat().some((c) => c.kind === 'container' && c.op === 'upsert')).toBe(true);
    await sut.stop();
  });
});
