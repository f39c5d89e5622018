import type { Change, HostFacts, RuntimeStatus } from '@corral/protocol';
import type { Collector, RuntimeCollector } from './collectors/collector.js';
import type { Logger } from './lib/logger.js';
import type { Session } from './session/session.js';
import type { StateStore } from './state/state-store.js';

export interface AgentDeps {
  collectors: Collector[];
  runtimes: RuntimeCollector[];
  facts: (runtimes: RuntimeStatus[]) => Promise<HostFacts>;
  store: StateStore;
  session: Session;
  logger: Logger;
  resyncIntervalMs: number;
  // A change a watcher saw is collected this long after it (more changes in the meantime ride along)...
  debounceMs?: number;
  // ...but no sooner than this after the source's previous collection began: a burst of changes (50
  // containers starting, each adding a veth to a bridge) costs one collection a second, not one each.
  minIntervalMs?: number;
  factsIntervalMs?: number;
}

// Collectors feed the state store; whatever changed goes to the controller as one delta per round.
// Watchers make changes visible fast; the periodic re-read is the safety net.
export class Agent {
  private readonly status = new Map<string, RuntimeStatus>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  // When each source's latest collection began (performance.now()).
  private readonly lastRun = new Map<string, number>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();
  private readonly stops: (() => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(private readonly deps: AgentDeps) {}

  async start(): Promise<void> {
    for (const rt of this.deps.runtimes) this.status.set(rt.name, await this.probe(rt));
    await Promise.all(this.sources().map((c) => this.collect(c)));
    await this.refreshFacts();
    this.deps.session.start();
    for (const c of this.sources()) {
      if (c.watch) this.stops.push(c.watch(() => this.schedule(c)));
    }
    this.timers.push(setInterval(() => this.resync(), this.deps.resyncIntervalMs));
    this.timers.push(setInterval(() => void this.refreshFacts(), this.deps.factsIntervalMs ?? 60_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const stop of this.stops) stop();
    for (const t of this.timers) clearInterval(t);
    for (const t of this.pending.values()) clearTimeout(t);
    await this.deps.session.stop();
  }

  runtimeStatuses(): RuntimeStatus[] {
    return [...this.status.values()];
  }

  // Re-reads every source now (also what a controller "refresh" does).
  async resync(): Promise<void> {
    for (const rt of this.deps.runtimes) {
      if (!this.status.get(rt.name)?.available) await this.updateRuntime(rt);
    }
    await Promise.all(this.sources().map((c) => this.collect(c)));
  }

  // Re-reads the named sources ('all': every source and the host facts) and publishes what changed
  // before it resolves, so a command's result can follow the delta that shows its effect. `changed`
  // names the records the command touched (engine ids): only their cached details are dropped.
  async refreshNow(sources: string[] | 'all', changed?: readonly string[]): Promise<void> {
    if (sources === 'all') {
      await this.resync();
      await this.refreshFacts();
      return;
    }
    const wanted = this.sources().filter((c) => sources.includes(c.name));
    for (const c of wanted) c.invalidate?.(changed);
    await Promise.all(wanted.map((c) => this.collect(c)));
  }

  private sources(): Collector[] {
    return [...this.deps.runtimes, ...this.deps.collectors];
  }

  // One collection pending per source: it reads whatever changed until it runs, so later signals add
  // nothing, and a steady stream of them cannot postpone it.
  private schedule(c: Collector): void {
    if (this.stopped || this.pending.has(c.name)) return;
    const debounce = this.deps.debounceMs ?? 100;
    const last = this.lastRun.get(c.name);
    const gap = last === undefined ? 0 : last + (this.deps.minIntervalMs ?? 1_000) - performance.now();
    this.pending.set(
      c.name,
      setTimeout(
        () => {
          this.pending.delete(c.name);
          // A runtime's watcher firing while it is unavailable (its event stream came back) may mean it
          // returned: probe it now rather than at the next resync.
          const runtime = this.deps.runtimes.find((rt) => rt === c && !this.status.get(rt.name)?.available);
          void (runtime ? this.updateRuntime(runtime) : this.collect(c));
        },
        Math.max(debounce, gap),
      ),
    );
  }

  // One collection per source at a time; a request during a run queues one more run after it, and
  // the promise returned resolves when a run that started after the request has published.
  private collect(c: Collector): Promise<void> {
    const current = this.running.get(c.name);
    if (!current) return this.startRun(c);
    let next = this.queued.get(c.name);
    if (!next) {
      next = current
        .catch(() => undefined)
        .then(() => {
          this.queued.delete(c.name);
          return this.stopped ? undefined : this.collect(c);
        });
      this.queued.set(c.name, next);
    }
    return next;
  }

  private startRun(c: Collector): Promise<void> {
    this.lastRun.set(c.name, performance.now());
    const run = this.collectOnce(c).finally(() => this.running.delete(c.name));
    this.running.set(c.name, run);
    return run;
  }

  private async collectOnce(c: Collector): Promise<void> {
    const isRuntime = this.deps.runtimes.includes(c as RuntimeCollector);
    if (isRuntime && !this.status.get(c.name)?.available) return;
    try {
      const output = await c.collect();
      this.publish(this.deps.store.update(c.name, output));
    } catch (err) {
      this.deps.logger.warn(`${c.name}: collection failed`, { error: err });
      if (isRuntime) await this.updateRuntime(c as RuntimeCollector);
    }
  }

  // A runtime that went away is reported unavailable and its records removed; one that
  // appeared is read at once.
  private async updateRuntime(rt: RuntimeCollector): Promise<void> {
    const before = this.status.get(rt.name);
    const now = await this.probe(rt);
    this.status.set(rt.name, now);
    if (before?.available === now.available) return;
    if (now.available) {
      this.deps.logger.info(`${rt.name}: runtime available`, { version: now.version });
      await this.refreshFacts();
      await this.collect(rt);
    } else {
      this.deps.logger.warn(`${rt.name}: runtime unavailable`, { reason: now.reason });
      this.publish(this.deps.store.clear(rt.name));
      await this.refreshFacts();
    }
  }

  private async probe(rt: RuntimeCollector): Promise<RuntimeStatus> {
    try {
      return await rt.probe();
    } catch (err) {
      return {
        name: rt.name as RuntimeStatus['name'],
        available: false,
        version: null,
        reason: (err as Error).message,
      };
    }
  }

  private async refreshFacts(): Promise<void> {
    try {
      const facts = await this.deps.facts(this.runtimeStatuses());
      this.publish(this.deps.store.updateFacts(facts));
    } catch (err) {
      this.deps.logger.warn('host facts: collection failed', { error: err });
    }
  }

  private publish(changes: Change[]): void {
    if (changes.length > 0) this.deps.session.publish(changes);
  }
}
