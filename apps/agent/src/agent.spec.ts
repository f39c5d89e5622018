import { type Change, sampleDockerContainer, sampleFacts } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { Agent } from './agent.js';
import type { Collector, CollectorOutput } from './collectors/collector.js';
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

function makeAgent(collector: Collector, published: Change[][]) {
  const session = { publish: (changes: Change[]) => published.push(changes) } as unknown as Session;
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
