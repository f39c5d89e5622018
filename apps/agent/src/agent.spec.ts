import {
  type Change,
  type RuntimeStatus,
  sampleDockerContainer,
  sampleFacts,
  sampleLxcContainer,
} from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { Agent } from './agent.js';
import type { CollectorOutput, RuntimeCollector } from './collectors/collector.js';
import { silentLogger } from './lib/logger.js';
import type { Session } from './session/session.js';
import { StateStore } from './state/state-store.js';

// A runtime that can be told to be missing or to fail, like a daemon going away.
class FakeRuntime implements RuntimeCollector {
  available = true;
  failCollect = false;
  output: CollectorOutput = {};

  constructor(readonly name: 'docker' | 'lxc') {}

  async probe(): Promise<RuntimeStatus> {
    return this.available
      ? { name: this.name, available: true, version: '1.0', reason: null }
      : { name: this.name, available: false, version: null, reason: `${this.name} socket missing` };
  }

  async collect(): Promise<CollectorOutput> {
    if (this.failCollect || !this.available) throw new Error('connection refused');
    return this.output;
  }
}

function setup() {
  const published: Change[][] = [];
  const session = {
    publish: (changes: Change[]) => published.push(changes),
    start: () => {},
    stop: async () => {},
  } as unknown as Session;
  const docker = new FakeRuntime('docker');
  const lxc = new FakeRuntime('lxc');
  const store = new StateStore();
  const sut = new Agent({
    collectors: [],
    runtimes: [docker, lxc],
    facts: async (runtimes) => ({ ...sampleFacts, runtimes }),
    store,
    session,
    logger: silentLogger,
    resyncIntervalMs: 60_000,
  });
  return { sut, docker, lxc, store, published };
}

describe('Agent', () => {
  it('reports a missing runtime as unavailable with its reason and keeps reporting the rest', async () => {
    const { sut, docker, lxc, store } = setup();
    docker.available = false;
    lxc.output = { containers: [sampleLxcContainer] };
    await sut.start();
    const inventory = store.inventory();
    expect(inventory.containers.map((c) => c.runtime)).toEqual(['lxc']);
    expect(inventory.facts.runtimes).toEqual([
      { name: 'docker', available: false, version: null, reason: 'docker socket missing' },
      { name: 'lxc', available: true, version: '1.0', reason: null },
    ]);
    await sut.stop();
  });

  it('picks a runtime up when it appears, and drops its records when it goes away', async () => {
    const { sut, docker, store, published } = setup();
    docker.available = false;
    docker.output = { containers: [sampleDockerContainer] };
    await sut.start();

    docker.available = true;
    await sut.resync();
    expect(store.inventory().containers.map((c) => c.id)).toEqual([sampleDockerContainer.id]);
    expect(store.inventory().facts.runtimes[0]?.available).toBe(true);

    docker.available = false;
    await sut.resync();
    const flat = published.flat();
    expect(flat).toContainEqual({ op: 'remove', kind: 'container', key: `docker:${sampleDockerContainer.id}` });
    expect(store.inventory().containers).toEqual([]);
    expect(store.inventory().facts.runtimes[0]).toMatchObject({ available: false, reason: 'docker socket missing' });
    await sut.stop();
  });

  it('keeps what it knows when one read fails but the runtime still answers its probe', async () => {
    const { sut, docker, store } = setup();
    docker.output = { containers: [sampleDockerContainer] };
    await sut.start();
    docker.failCollect = true;
    await sut.resync();
    expect(store.inventory().containers).toHaveLength(1);
    expect(store.inventory().facts.runtimes[0]?.available).toBe(true);
    await sut.stop();
  });
});
