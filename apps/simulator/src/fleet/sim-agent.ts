import { CorralApiError, CorralClient } from '@corral/client';
import {
  type Change,
  type CommandCancel,
  type CommandMessage,
  type ControllerMessage,
  PROTOCOL_VERSION,
  parseControllerMessage,
  type Welcome,
} from '@corral/protocol';
import WebSocket from 'ws';
import type { SyntheticHost } from '../synthetic/synthetic-host.js';
import type { FleetStats } from './fleet-stats.js';

export type AgentState = 'idle' | 'connecting' | 'handshaking' | 'synced' | 'stopped';

// A change as it left the simulator, for measuring how long it takes to show in the API.
export interface SentChange {
  hostIndex: number;
  kind: 'container' | 'lease';
  key: string;
  // The container state, or the lease expiry (ISO), the change carried.
  value: string;
  changedAt: number;
  sentAt: number;
  seq: number;
}

// What an agent needs from its fleet: shared options, pacing and the counters.
export interface FleetLink {
  // The controller replicas' agent endpoints, tried in this order (like the agent's comma list).
  readonly urls: readonly string[];
  // Spent once per agent for its credential (POST /api/v1/enroll) before its first connect.
  readonly enrollmentToken: string | null;
  readonly window: number;
  readonly socketHighWaterBytes: number;
  readonly commandDelayMs: number;
  readonly stats: FleetStats;
  now(): number;
  // Queue a (re)connect after `delayMs`; the fleet paces connection attempts.
  requestConnect(agent: SimAgent, delayMs: number): void;
  // Queue the snapshot; the fleet sends it when the global send budget allows.
  requestSnapshot(agent: SimAgent): void;
  markDirty(agent: SimAgent): void;
  tracked(change: SentChange): void;
  shouldTrack(): boolean;
}

interface OutboxEntry {
  seq: number;
  frame: string;
  changes: number;
}

// One simulated agent speaking the real protocol: hello -> welcome -> snapshot or replay, deltas with
// acks, heartbeats, commands answered after a delay. Unsent changes are kept as per-record dirty
// marks (coalesced like the agent's state store), and at most `window` deltas are unacknowledged,
// so nothing queues without bound however slow the controller is.
export class SimAgent {
  state: AgentState = 'idle';
  snapshotAckedOnce = false;
  lastHeardAt = 0;
  heartbeatIntervalMs = 10_000;
  nextHeartbeatAt = 0;
  private socket: WebSocket | null = null;
  private attempt = 0;
  // Which of link.urls this agent uses, and the connections that failed since its last welcome.
  private urlIndex = 0;
  private failedInRound = 0;
  private nextSeq = 1;
  private lastAcked = 0;
  private needsSnapshot = true;
  private snapshotSeq: number | null = null;
  private outbox: OutboxEntry[] = [];
  private readonly sentRunning: Uint8Array;
  private readonly sentLeaseExpiry: Float64Array;
  // record index -> time of its first unsent change
  private readonly dirtyContainers = new Map<number, number>();
  private readonly dirtyLeases = new Map<number, number>();
  private readonly commands = new Map<string, NodeJS.Timeout>();
  private credential: string | null = null;
  private enrolling = false;

  constructor(
    readonly host: SyntheticHost,
    private readonly link: FleetLink,
  ) {
    this.sentRunning = new Uint8Array(host.containerCount);
    this.sentLeaseExpiry = new Float64Array(host.leaseCount);
  }

  get unacked(): number {
    return this.outbox.length;
  }

  get awaitingSnapshotAck(): boolean {
    return this.snapshotSeq !== null;
  }

  get dirtyCount(): number {
    return this.dirtyContainers.size + this.dirtyLeases.size;
  }

  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  get canSend(): boolean {
    return (
      this.state === 'synced' && this.socket !== null && this.socket.bufferedAmount < this.link.socketHighWaterBytes
    );
  }

  connect(): void {
    if (this.state === 'stopped' || this.socket || this.enrolling) return;
    if (this.link.enrollmentToken && !this.credential) {
      this.enroll(this.link.enrollmentToken);
      return;
    }
    this.state = 'connecting';
    this.link.stats.connectAttempts++;
    this.link.stats.handshaking++;
    const socket = new WebSocket(this.link.urls[this.urlIndex]!, {
      handshakeTimeout: 30_000,
      perMessageDeflate: false,
      headers: this.credential ? { authorization: `Bearer ${this.credential}` } : undefined,
    });
    this.socket = socket;
    socket.on('open', () => {
      this.state = 'handshaking';
      this.lastHeardAt = this.link.now();
      this.link.stats.connected++;
      this.send({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        agentId: this.host.agentId,
        hostname: this.host.hostname,
        agentVersion: '0.1.0-sim',
        runtimes: this.host.facts().runtimes,
        lastAckedSeq: this.lastAcked,
        capabilities: [],
      });
    });
    socket.on('message', (data) => {
      this.lastHeardAt = this.link.now();
      this.handle(data.toString());
    });
    socket.on('ping', () => {
      this.lastHeardAt = this.link.now();
    });
    socket.on('error', (err) => {
      this.link.stats.socketErrors++;
      this.link.stats.lastError = err.message;
    });
    socket.on('close', (code) => {
      if (this.socket !== socket) return;
      const wasOpen = this.state === 'handshaking' || this.state === 'synced';
      if (this.state === 'connecting' || this.state === 'handshaking') this.link.stats.handshaking--;
      if (wasOpen) this.link.stats.connected--;
      if (this.state === 'synced') this.link.stats.synced--;
      this.socket = null;
      this.snapshotSeq = null;
      for (const timer of this.commands.values()) clearTimeout(timer);
      this.commands.clear();
      if (this.state === 'stopped') return;
      this.state = 'idle';
      this.link.stats.disconnects++;
      // As the agent does: the next replica at once, the backoff only after a whole round failed; a
      // close as superseded (another connection of the host is newer) backs off on the same replica.
      const superseded = code === SUPERSEDED_CLOSE;
      if (!superseded && this.link.urls.length > 1) {
        this.urlIndex = (this.urlIndex + 1) % this.link.urls.length;
        if (++this.failedInRound < this.link.urls.length) {
          this.link.requestConnect(this, 0);
          return;
        }
      }
      this.failedInRound = 0;
      const ceiling = Math.min(30_000, 500 * 2 ** Math.min(this.attempt++, 16));
      this.link.requestConnect(this, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
    });
  }

  // Enrolls now, without connecting (a fleet enrolled beforehand measures its sync alone); retried.
  async enrollOnly(token: string, attempts = 5): Promise<void> {
    for (let i = 0; !this.credential && i < attempts; i++) {
      try {
        this.credential = await this.requestCredential(token);
      } catch (err) {
        this.link.stats.lastError = (err as Error).message;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** i));
      }
    }
    if (!this.credential) throw new Error(`${this.host.hostname} could not enroll: ${this.link.stats.lastError}`);
  }

  private async requestCredential(token: string): Promise<string> {
    const client = new CorralClient({
      baseUrl: apiBaseUrl(this.link.urls[this.urlIndex]!),
      fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(30_000) }),
    });
    const { credential } = await client
      .enroll({ token, agentId: this.host.agentId, hostname: this.host.hostname })
      .catch((err: Error) => {
        throw new Error(`enroll: ${err instanceof CorralApiError ? `HTTP ${err.status} ${err.message}` : err.message}`);
      });
    return credential;
  }

  // Trades the fleet's enrollment token for this host's credential, then connects; retried on failure.
  private enroll(token: string): void {
    this.enrolling = true;
    this.requestCredential(token)
      .then((credential) => {
        this.credential = credential;
      })
      .catch((err: Error) => {
        this.link.stats.socketErrors++;
        this.link.stats.lastError = err.message;
      })
      .finally(() => {
        this.enrolling = false;
        if (this.state === 'stopped') return;
        if (this.credential) this.connect();
        else this.link.requestConnect(this, 1_000 + Math.round(Math.random() * 1_000));
      });
  }

  stop(): void {
    this.state = 'stopped';
    for (const timer of this.commands.values()) clearTimeout(timer);
    this.commands.clear();
    this.socket?.terminate();
  }

  terminate(): void {
    this.socket?.terminate();
  }

  // Record a change made by churn; it goes out with the next delta this agent flushes.
  containerChanged(j: number, at: number): void {
    if (!this.dirtyContainers.has(j)) this.dirtyContainers.set(j, at);
    this.link.markDirty(this);
  }

  leaseChanged(k: number, at: number): void {
    if (!this.dirtyLeases.has(k)) this.dirtyLeases.set(k, at);
    this.link.markDirty(this);
  }

  // Sends the snapshot the fleet scheduled for this agent; false when the socket went away meanwhile.
  sendSnapshot(): number {
    if (this.state !== 'synced' || !this.socket) return 0;
    const inventory = this.host.inventory();
    for (let j = 0; j < this.host.containerCount; j++) this.sentRunning[j] = this.host.isRunning(j) ? 1 : 0;
    for (let k = 0; k < this.host.leaseCount; k++) this.sentLeaseExpiry[k] = this.host.leaseExpiry(k);
    this.dirtyContainers.clear();
    this.dirtyLeases.clear();
    this.outbox = [];
    this.needsSnapshot = false;
    const seq = this.nextSeq++;
    this.snapshotSeq = seq;
    const frame = JSON.stringify({ type: 'snapshot', seq, ...inventory });
    this.socket.send(frame);
    this.link.stats.snapshotsSent++;
    this.link.stats.bytesSent += frame.length;
    return frame.length;
  }

  // One delta with every dirty record that differs from what was last sent; false when nothing went out.
  flush(): boolean {
    if (!this.canSend || this.needsSnapshot) return false;
    if (this.outbox.length >= this.link.window) {
      this.link.stats.windowFullSkips++;
      return false;
    }
    const changes: Change[] = [];
    const tracked: Omit<SentChange, 'sentAt' | 'seq'>[] = [];
    for (const [j, changedAt] of this.dirtyContainers) {
      const running = this.host.isRunning(j) ? 1 : 0;
      if (running === this.sentRunning[j]) continue;
      this.sentRunning[j] = running;
      const record = this.host.container(j);
      changes.push({ op: 'upsert', kind: 'container', record });
      if (this.link.shouldTrack()) {
        tracked.push({
          hostIndex: this.host.index,
          kind: 'container',
          key: this.host.containerKey(j),
          value: record.state,
          changedAt,
        });
      }
    }
    for (const [k, changedAt] of this.dirtyLeases) {
      const expiry = this.host.leaseExpiry(k);
      if (expiry === this.sentLeaseExpiry[k]) continue;
      this.sentLeaseExpiry[k] = expiry;
      const record = this.host.lease(k);
      changes.push({ op: 'upsert', kind: 'lease', record });
      if (this.link.shouldTrack()) {
        tracked.push({
          hostIndex: this.host.index,
          kind: 'lease',
          key: this.host.leaseKey(k),
          value: record.expiresAt!,
          changedAt,
        });
      }
    }
    this.link.stats.coalesced += this.dirtyCount - changes.length;
    this.dirtyContainers.clear();
    this.dirtyLeases.clear();
    if (changes.length === 0) return false;
    const seq = this.nextSeq++;
    const frame = JSON.stringify({ type: 'delta', seq, changes });
    this.outbox.push({ seq, frame, changes: changes.length });
    this.socket!.send(frame);
    const sentAt = this.link.now();
    this.link.stats.deltasSent++;
    this.link.stats.changesSent += changes.length;
    this.link.stats.bytesSent += frame.length;
    for (const t of tracked) this.link.tracked({ ...t, sentAt, seq });
    return true;
  }

  heartbeat(now: number): void {
    if (this.state !== 'synced') return;
    if (now - this.lastHeardAt > this.heartbeatIntervalMs * 3) {
      this.link.stats.silentTimeouts++;
      this.socket?.terminate();
      return;
    }
    const facts = this.host.facts();
    this.send({
      type: 'heartbeat',
      at: new Date(now).toISOString(),
      load: {
        load1: 0.42,
        load5: 0.38,
        load15: 0.35,
        memoryAvailableBytes: facts.memoryAvailableBytes,
        uptimeSeconds: facts.uptimeSeconds,
      },
    });
    this.link.stats.heartbeatsSent++;
  }

  private handle(text: string): void {
    const parsed = parseControllerMessage(text);
    if (!parsed.ok) {
      this.link.stats.badFrames++;
      this.send(parsed.error);
      return;
    }
    const message: ControllerMessage = parsed.message;
    switch (message.type) {
      case 'welcome':
        this.welcome(message);
        return;
      case 'ack':
        this.ack(message.seq);
        return;
      case 'snapshot.request':
        this.link.stats.snapshotRequests++;
        this.needsSnapshot = true;
        this.link.requestSnapshot(this);
        return;
      case 'command':
        this.command(message);
        return;
      case 'command.cancel':
        this.cancel(message);
        return;
      case 'error':
        this.link.stats.errorFrames++;
        this.link.stats.lastError = `${message.code}: ${message.message}`;
        return;
    }
  }

  private welcome(welcome: Welcome): void {
    this.attempt = 0;
    this.failedInRound = 0;
    this.heartbeatIntervalMs = welcome.heartbeatIntervalMs;
    this.nextHeartbeatAt = this.link.now() + Math.random() * welcome.heartbeatIntervalMs;
    if (this.state === 'handshaking') this.link.stats.handshaking--;
    this.state = 'synced';
    this.link.stats.synced++;
    const controllerSeq = welcome.lastSeq;
    if (!welcome.needSnapshot && !this.needsSnapshot && this.canResumeFrom(controllerSeq)) {
      this.link.stats.replays++;
      for (const entry of this.outbox) {
        this.socket!.send(entry.frame);
        this.link.stats.deltasResent++;
      }
      if (this.dirtyCount > 0) this.link.markDirty(this);
      return;
    }
    this.nextSeq = Math.max(this.nextSeq, controllerSeq + 1);
    this.needsSnapshot = true;
    this.link.requestSnapshot(this);
  }

  // As the agent's outbox: the kept deltas must continue exactly from what the controller holds.
  private canResumeFrom(controllerSeq: number): boolean {
    if (controllerSeq > this.nextSeq - 1) return false;
    this.outbox = this.outbox.filter((e) => e.seq > controllerSeq);
    if (this.outbox.length === 0) return controllerSeq === this.nextSeq - 1;
    return this.outbox[0]!.seq === controllerSeq + 1;
  }

  private ack(seq: number): void {
    this.lastAcked = Math.max(this.lastAcked, seq);
    if (this.snapshotSeq !== null && seq >= this.snapshotSeq) {
      this.snapshotSeq = null;
      this.link.stats.snapshotsAcked++;
      if (!this.snapshotAckedOnce) {
        this.snapshotAckedOnce = true;
        this.link.stats.hostsSynced++;
      }
      if (this.dirtyCount > 0) this.link.markDirty(this);
    }
    let i = 0;
    while (i < this.outbox.length && this.outbox[i]!.seq <= seq) i++;
    if (i > 0) {
      for (const entry of this.outbox.splice(0, i)) this.link.stats.changesAcked += entry.changes;
      this.link.stats.deltasAcked += i;
      if (this.dirtyCount > 0) this.link.markDirty(this);
    }
  }

  private command(message: CommandMessage): void {
    this.link.stats.commandsReceived++;
    if (this.commands.has(message.id)) return;
    this.send({ type: 'command.accepted', id: message.id });
    const timer = setTimeout(() => {
      this.commands.delete(message.id);
      this.send({ type: 'command.result', id: message.id, ok: true, result: {}, error: null });
      this.link.stats.commandsAnswered++;
    }, this.link.commandDelayMs);
    this.commands.set(message.id, timer);
  }

  private cancel(message: CommandCancel): void {
    const timer = this.commands.get(message.id);
    if (!timer) return;
    clearTimeout(timer);
    this.commands.delete(message.id);
    this.send({
      type: 'command.result',
      id: message.id,
      ok: false,
      result: null,
      error: { code: 'canceled', message: 'canceled before it finished', retryable: false },
    });
    this.link.stats.commandsCanceled++;
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

// Pure: the controller's enrollment endpoint from its agent socket URL (ws -> http, wss -> https).
// The controller's HTTP base URL from its agent WebSocket URL (ws://h:p/agent -> http://h:p).
// The controller's close code for a connection a newer one of the same host superseded.
const SUPERSEDED_CLOSE = 4409;

export function apiBaseUrl(agentUrl: string): string {
  const url = new URL(agentUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  return url.origin;
}
