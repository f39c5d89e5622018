import { performance } from 'node:perf_hooks';
import { prng } from '../synthetic/hash.js';
import { DEFAULT_SHAPE, type FleetShape, SyntheticHost } from '../synthetic/synthetic-host.js';
import { type FleetSnapshot, FleetStats } from './fleet-stats.js';
import { type FleetLink, type SentChange, SimAgent } from './sim-agent.js';

export interface FleetOptions {
  // The agent endpoint, or a comma list of replicas' endpoints tried in order (failing over as the agent does).
  url: string;
  // Enrollment token with at least `hosts` uses: each simulated host enrolls once before it connects.
  enrollmentToken?: string | null;
  hosts: number;
  containersPerHost?: number;
  seed?: number;
  lxcShare?: number;
  runningShare?: number;
  // First host index, so several simulator processes can share a seed without sharing hosts.
  hostOffset?: number;
  // Changes per second across the fleet (container state flips and lease renewals).
  churnPerSecond?: number;
  // Share of churn that renews leases rather than flipping container states.
  leaseShare?: number;
  connectPerSecond?: number;
  // Handshakes (connect .. welcome) in flight at once.
  maxHandshakes?: number;
  // Unacknowledged deltas per agent; past it, changes stay coalesced in the agent's dirty marks.
  window?: number;
  // A socket with more than this queued in ws gets no new frame until it drains.
  socketHighWaterBytes?: number;
  // Snapshots are only built while the fleet's sockets hold less than this in total.
  sendBudgetBytes?: number;
  // Snapshots sent and not yet acknowledged at once (0: no limit, like a real fleet).
  maxInflightSnapshots?: number;
  // How often an agent with changes sends a delta (the agent debounces collection by 100 ms).
  flushIntervalMs?: number;
  commandDelayMs?: number;
  // Report one in `trackEvery` changes sent through onChangeSent (0: none).
  trackEvery?: number;
  onChangeSent?: (change: SentChange) => void;
}

const PUMP_MS = 10;
const CHURN_TICK_MS = 20;
const HEARTBEAT_TICK_MS = 500;
// Work done per pump tick at most, so acks keep being read while snapshots are built.
const PUMP_SLICE_MS = 15;

export function parseControllerUrls(list: string): string[] {
  const urls = list
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of urls) if (!/^wss?:\/\/[^\s,]+$/.test(u)) throw new Error(`not a ws:// or wss:// URL: "${u}"`);
  if (urls.length === 0) throw new Error('no controller URL given');
  return urls;
}

export const wallClock = () => performance.timeOrigin + performance.now();

// N simulated agents in one process: paced connects, snapshots under a send budget, churn, heartbeats.
export class Fleet {
  readonly stats = new FleetStats();
  readonly agents: SimAgent[] = [];
  private readonly opts: Required<Omit<FleetOptions, 'onChangeSent'>> & Pick<FleetOptions, 'onChangeSent'>;
  private readonly connectQueue: SimAgent[] = [];
  private connectHead = 0;
  private readonly queuedConnect = new Set<SimAgent>();
  private readonly reconnectTimers = new Set<NodeJS.Timeout>();
  private readonly snapshotQueue = new Set<SimAgent>();
  private readonly inflightSnapshots = new Set<SimAgent>();
  private readonly draining = new Set<SimAgent>();
  private readonly dirty = new Set<SimAgent>();
  private readonly timers: NodeJS.Timeout[] = [];
  private connectTokens = 0;
  private lastPumpAt = 0;
  private churnCarry = 0;
  private lastChurnAt = 0;
  private trackCounter = 0;
  private readonly random: () => number;
  private running = false;

  constructor(options: FleetOptions) {
    this.opts = {
      containersPerHost: DEFAULT_SHAPE.containersPerHost,
      seed: DEFAULT_SHAPE.seed,
      lxcShare: DEFAULT_SHAPE.lxcShare,
      runningShare: DEFAULT_SHAPE.runningShare,
      hostOffset: 0,
      churnPerSecond: 0,
      leaseShare: 0.3,
      connectPerSecond: 1000,
      maxHandshakes: 500,
      window: 32,
      socketHighWaterBytes: 1 << 20,
      sendBudgetBytes: 64 << 20,
      maxInflightSnapshots: 0,
      flushIntervalMs: 100,
      commandDelayMs: 50,
      trackEvery: 0,
      enrollmentToken: null,
      ...options,
    };
    const shape: FleetShape = {
      seed: this.opts.seed,
      containersPerHost: this.opts.containersPerHost,
      lxcShare: this.opts.lxcShare,
      runningShare: this.opts.runningShare,
    };
    this.random = prng(this.opts.seed ^ 0xc4a1);
    const now = Date.now();
    const link = this.link();
    for (let i = 0; i < this.opts.hosts; i++) {
      this.agents.push(new SimAgent(new SyntheticHost(shape, this.opts.hostOffset + i, now), link));
    }
  }

  // Enrolls every host (`concurrency` requests at a time) without connecting any, so that start()
  // then measures connecting and syncing alone. Hosts enroll on connect otherwise.
  async enroll(concurrency = 16): Promise<void> {
    const token = this.opts.enrollmentToken;
    if (!token) return;
    let next = 0;
    const worker = async () => {
      while (next < this.agents.length) await this.agents[next++]!.enrollOnly(token);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.agents.length) }, worker));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const agent of this.agents) this.enqueueConnect(agent);
    this.lastPumpAt = wallClock();
    this.lastChurnAt = this.lastPumpAt;
    this.timers.push(setInterval(() => this.pump(), PUMP_MS));
    this.timers.push(setInterval(() => this.flushDirty(), this.opts.flushIntervalMs));
    this.timers.push(setInterval(() => this.churn(), CHURN_TICK_MS));
    this.timers.push(setInterval(() => this.heartbeats(), HEARTBEAT_TICK_MS));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const t of this.reconnectTimers) clearTimeout(t);
    this.reconnectTimers.clear();
    for (const agent of this.agents) agent.stop();
    // Let the close frames and socket teardown run before the caller moves on.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  setChurn(changesPerSecond: number): void {
    this.opts.churnPerSecond = changesPerSecond;
    this.churnCarry = 0;
    this.lastChurnAt = wallClock();
  }

  get commandDelayMs(): number {
    return this.opts.commandDelayMs;
  }

  // How long agents take to answer the commands they receive from now on.
  setCommandDelay(ms: number): void {
    this.opts.commandDelayMs = ms;
  }

  // Reports one in `every` changes sent to `onChangeSent` (0 stops it).
  track(every: number, onChangeSent?: (change: SentChange) => void): void {
    this.opts.trackEvery = every;
    this.opts.onChangeSent = onChangeSent;
  }

  // Drops every connection at once (the controller restarted, the network blinked); agents reconnect.
  dropAll(): void {
    for (const agent of this.agents) agent.terminate();
  }

  snapshot(): FleetSnapshot {
    let unackedDeltas = 0;
    let dirtyRecords = 0;
    for (const agent of this.agents) {
      unackedDeltas += agent.unacked;
      dirtyRecords += agent.dirtyCount;
    }
    return {
      ...this.stats,
      hosts: this.agents.length,
      unackedDeltas,
      dirtyRecords,
      snapshotQueue: this.snapshotQueue.size,
      connectQueue: this.connectQueue.length - this.connectHead,
    };
  }

  // Resolves once `predicate` holds, checked every `everyMs`; rejects after `timeoutMs`.
  async waitFor(predicate: (s: FleetSnapshot) => boolean, timeoutMs: number, everyMs = 50): Promise<FleetSnapshot> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.snapshot();
      if (predicate(s)) return s;
      if (Date.now() > deadline) {
        throw new Error(`fleet condition not met within ${timeoutMs} ms (last error: ${s.lastError ?? 'none'})`);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  private link(): FleetLink {
    const o = this.opts;
    return {
      urls: parseControllerUrls(o.url),
      enrollmentToken: o.enrollmentToken,
      window: o.window,
      socketHighWaterBytes: o.socketHighWaterBytes,
      get commandDelayMs() {
        return o.commandDelayMs;
      },
      stats: this.stats,
      now: wallClock,
      requestConnect: (agent, delayMs) => {
        if (!this.running) return;
        const timer = setTimeout(() => {
          this.reconnectTimers.delete(timer);
          this.enqueueConnect(agent);
        }, delayMs);
        this.reconnectTimers.add(timer);
      },
      requestSnapshot: (agent) => {
        this.inflightSnapshots.delete(agent);
        this.snapshotQueue.add(agent);
      },
      markDirty: (agent) => {
        this.dirty.add(agent);
      },
      shouldTrack: () => o.trackEvery > 0 && ++this.trackCounter % o.trackEvery === 0,
      tracked: (change) => o.onChangeSent?.(change),
    };
  }

  private enqueueConnect(agent: SimAgent): void {
    if (this.queuedConnect.has(agent)) return;
    this.queuedConnect.add(agent);
    this.connectQueue.push(agent);
  }

  private pump(): void {
    const started = wallClock();
    const elapsed = (started - this.lastPumpAt) / 1000;
    this.lastPumpAt = started;
    this.connectTokens = Math.min(
      this.connectTokens + elapsed * this.opts.connectPerSecond,
      Math.max(1, this.opts.connectPerSecond / 10),
    );
    while (
      this.connectTokens >= 1 &&
      this.connectHead < this.connectQueue.length &&
      this.stats.handshaking < this.opts.maxHandshakes
    ) {
      const agent = this.connectQueue[this.connectHead++]!;
      this.queuedConnect.delete(agent);
      this.connectTokens -= 1;
      agent.connect();
    }
    if (this.connectHead > 1024 && this.connectHead * 2 > this.connectQueue.length) {
      this.connectQueue.splice(0, this.connectHead);
      this.connectHead = 0;
    }
    this.sendSnapshots(started);
  }

  private sendSnapshots(started: number): void {
    if (this.snapshotQueue.size === 0) return;
    let buffered = 0;
    for (const agent of this.draining) {
      const amount = agent.bufferedAmount;
      if (amount === 0) this.draining.delete(agent);
      buffered += amount;
    }
    for (const agent of this.inflightSnapshots) {
      if (!agent.awaitingSnapshotAck) this.inflightSnapshots.delete(agent);
    }
    for (const agent of this.snapshotQueue) {
      if (buffered >= this.opts.sendBudgetBytes || wallClock() - started > PUMP_SLICE_MS) return;
      if (this.opts.maxInflightSnapshots > 0 && this.inflightSnapshots.size >= this.opts.maxInflightSnapshots) return;
      this.snapshotQueue.delete(agent);
      const bytes = agent.sendSnapshot();
      if (bytes === 0) continue;
      buffered += agent.bufferedAmount;
      this.draining.add(agent);
      this.inflightSnapshots.add(agent);
    }
  }

  private flushDirty(): void {
    for (const agent of this.dirty) {
      if (agent.dirtyCount === 0 || agent.flush()) this.dirty.delete(agent);
    }
  }

  private churn(): void {
    const now = wallClock();
    const rate = this.opts.churnPerSecond;
    if (rate <= 0 || this.agents.length === 0) {
      this.lastChurnAt = now;
      return;
    }
    this.churnCarry += ((now - this.lastChurnAt) / 1000) * rate;
    this.lastChurnAt = now;
    // A stalled event loop does not turn into a burst larger than a quarter second of churn.
    const n = Math.min(Math.floor(this.churnCarry), Math.ceil(rate / 4));
    this.churnCarry = Math.min(this.churnCarry - n, 1);
    for (let c = 0; c < n; c++) {
      const agent = this.agents[Math.floor(this.random() * this.agents.length)]!;
      const host = agent.host;
      if (host.leaseCount > 0 && this.random() < this.opts.leaseShare) {
        const k = Math.floor(this.random() * host.leaseCount);
        host.renewLease(k, Math.round(now));
        agent.leaseChanged(k, now);
      } else {
        const j = Math.floor(this.random() * host.containerCount);
        host.flipContainer(j, Math.round(now));
        agent.containerChanged(j, now);
      }
      this.stats.changesOffered++;
    }
  }

  private heartbeats(): void {
    const now = wallClock();
    for (const agent of this.agents) {
      if (agent.state !== 'synced' || now < agent.nextHeartbeatAt) continue;
      agent.nextHeartbeatAt = now + agent.heartbeatIntervalMs;
      agent.heartbeat(now);
    }
  }
}
