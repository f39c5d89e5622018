import {
  type AgentMessage,
  type Change,
  type CommandCancel,
  type CommandMessage,
  type ControllerMessage,
  errorFrame,
  type HostLabels,
  type Inventory,
  type LoadReport,
  PROTOCOL_VERSION,
  parseControllerMessage,
  type RuntimeStatus,
  type Welcome,
} from '@corral/protocol';
import WebSocket from 'ws';
import { backoffDelay } from '../lib/backoff.js';
import type { Logger } from '../lib/logger.js';
import { ControllerRotation, type NextAttempt, SUPERSEDED_CLOSE_CODE } from './controller-rotation.js';
import type { TlsClientOptions } from './controller-tls.js';
import { Outbox } from './outbox.js';

export interface SessionOptions {
  // The controller replicas' agent endpoints; one is enough. Tried in turn from `startIndex`.
  urls: string[];
  startIndex?: number;
  agentId: string;
  hostname: () => string;
  agentVersion: string;
  runtimes: () => RuntimeStatus[];
  labels?: HostLabels;
  inventory: () => Inventory;
  load: () => Promise<LoadReport>;
  logger: Logger;
  backoff?: { baseMs: number; maxMs: number };
  outboxCapacity?: number;
  headers?: Record<string, string>;
  // How to trust a wss:// controller: its CA, or a connector that checks a pinned fingerprint.
  tls?: TlsClientOptions;
  // Commands from the controller, already validated against their message schema.
  onCommand?: (message: CommandMessage) => void;
  onCancel?: (message: CommandCancel) => void;
  // Exec and log streams: what to announce in hello, their control frames and their data frames,
  // and the connection dropping (their processes are then killed).
  capabilities?: () => string[];
  onStream?: (message: Extract<ControllerMessage, { type: `stream.${string}` }>) => void;
  onStreamData?: (frame: Uint8Array) => void;
  onDisconnected?: () => void;
  // After each welcome, once the snapshot or the replay is on its way.
  onSynced?: () => void;
  // The controller applied every frame this connection sent before the delta or snapshot `seq`.
  onAck?: (seq: number) => void;
}

export type SessionState = 'idle' | 'connecting' | 'handshaking' | 'synced' | 'stopped';

// The agent's one connection to the controller: hello -> welcome -> snapshot or replay of
// unacknowledged deltas, then live deltas and heartbeats. On a drop it tries the next controller URL at
// once, and waits a capped, jittered backoff only after every URL failed in a row.
export class Session {
  state: SessionState = 'idle';
  private socket: WebSocket | null = null;
  private readonly rotation: ControllerRotation;
  private nextSeq = 1;
  private lastAckedSeq = 0;
  // Until a snapshot has been sent in this process, changes are folded into that snapshot.
  private needsSnapshot = true;
  private readonly outbox: Outbox;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastHeardAt = 0;
  private heartbeatIntervalMs = 10_000;
  private readonly listeners = new Set<(state: SessionState) => void>();

  constructor(private readonly opts: SessionOptions) {
    this.outbox = new Outbox(opts.outboxCapacity ?? 10_000);
    this.rotation = new ControllerRotation(opts.urls, opts.startIndex ?? 0);
  }

  // The controller this session is connected to, or trying next.
  get url(): string {
    return this.rotation.current;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.connect();
  }

  async stop(): Promise<void> {
    this.setState('stopped');
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    const socket = this.socket;
    if (socket && socket.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000, 'agent stopping');
        setTimeout(resolve, 2_000).unref();
      });
    }
    socket?.terminate();
  }

  onState(listener: (state: SessionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get stats() {
    return { nextSeq: this.nextSeq, lastAckedSeq: this.lastAckedSeq, unacked: this.outbox.size };
  }

  // Queues changes as one delta; sent now when synced, else kept for replay after reconnecting.
  publish(changes: Change[]): void {
    if (changes.length === 0 || this.needsSnapshot) return;
    const delta = { type: 'delta' as const, seq: this.nextSeq++, changes };
    this.outbox.push(delta);
    if (this.outbox.overflowed) {
      this.opts.logger.warn('unacknowledged deltas overflowed; a snapshot will resync the controller');
      this.needsSnapshot = true;
      this.outbox.reset();
      return;
    }
    if (this.state === 'synced') this.send(delta);
  }

  // Sends a frame when synced. Returns a delivery mark: the controller has processed the frame once
  // it acknowledges a sequence number >= the mark on this connection. Null when not synced.
  sendFrame(message: AgentMessage): number | null {
    if (this.state !== 'synced' || this.socket?.readyState !== WebSocket.OPEN) return null;
    this.send(message);
    return this.nextSeq;
  }

  // A full snapshot now (host.refresh); false when not synced, in which case the next welcome sends one.
  sendSnapshotNow(): boolean {
    if (this.state !== 'synced') return false;
    this.sendSnapshot();
    return true;
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    this.setState('connecting');
    const url = this.rotation.current;
    const socket = new WebSocket(url, {
      headers: this.opts.headers,
      handshakeTimeout: 10_000,
      // The same CA or pin for every replica. Node's HTTP client takes createConnection(options, callback);
      // the ws typings only know the sync form.
      ...((url.startsWith('wss:') ? this.opts.tls : {}) as WebSocket.ClientOptions),
    });
    this.socket = socket;
    socket.on('open', () => {
      this.setState('handshaking');
      this.lastHeardAt = Date.now();
      this.send({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        agentId: this.opts.agentId,
        hostname: this.opts.hostname(),
        agentVersion: this.opts.agentVersion,
        runtimes: this.opts.runtimes(),
        lastAckedSeq: this.lastAckedSeq,
        capabilities: this.opts.capabilities?.() ?? [],
        labels: this.opts.labels ?? {},
      });
    });
    socket.on('message', (data, isBinary) => {
      this.lastHeardAt = Date.now();
      if (isBinary) {
        const frame = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
        this.dispatch(() => this.opts.onStreamData?.(frame), 'stream data');
        return;
      }
      this.handle(data.toString());
    });
    socket.on('ping', () => {
      this.lastHeardAt = Date.now();
    });
    socket.on('unexpected-response', (_req, res) => {
      const hint =
        res.statusCode === 401
          ? 'the credential is missing, unknown or revoked: an admin must enroll this host again ' +
            '(delete the credential file in the state dir and set CORRAL_ENROLLMENT_TOKEN)'
          : undefined;
      this.opts.logger.warn('controller refused the connection', { url, status: res.statusCode, hint });
      res.resume();
      // ws emits no close for a refused upgrade handshake; make sure the reconnect logic runs.
      socket.terminate();
    });
    socket.on('error', (err) => {
      this.opts.logger.warn('connection error', { url, error: err });
    });
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopHeartbeat();
      this.dispatch(() => this.opts.onDisconnected?.(), 'close');
      if (this.state === 'stopped') return;
      // A refused upgrade (401/403 included) is a failure like any other: the next replica, then backoff.
      const next = code === SUPERSEDED_CLOSE_CODE ? this.rotation.superseded() : this.rotation.failed();
      const delay = this.delayFor(next);
      this.opts.logger.info('disconnected; reconnecting', {
        url,
        code,
        reason: reason.toString(),
        next: next.url,
        inMs: delay,
      });
      this.setState('idle');
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private handle(text: string): void {
    const parsed = parseControllerMessage(text);
    if (!parsed.ok) {
      this.opts.logger.warn('bad frame from controller', { error: parsed.error.message });
      this.send(parsed.error);
      return;
    }
    const message: ControllerMessage = parsed.message;
    switch (message.type) {
      case 'welcome':
        this.welcome(message);
        return;
      case 'ack':
        this.lastAckedSeq = Math.max(this.lastAckedSeq, message.seq);
        this.outbox.ack(message.seq);
        this.opts.onAck?.(message.seq);
        return;
      case 'snapshot.request':
        this.opts.logger.info('controller asked for a snapshot', { reason: message.reason });
        this.sendSnapshot();
        return;
      case 'command':
        this.dispatch(() => this.opts.onCommand?.(message), message.type);
        return;
      case 'command.cancel':
        this.dispatch(() => this.opts.onCancel?.(message), message.type);
        return;
      case 'stream.exec.open':
      case 'stream.logs.open':
      case 'stream.credit':
      case 'stream.resize':
      case 'stream.eof':
      case 'stream.close':
        this.dispatch(() => this.opts.onStream?.(message), message.type);
        return;
      case 'error':
        this.opts.logger.warn('controller reported an error', {
          code: message.code,
          message: message.message,
          retryable: message.retryable,
        });
        return;
    }
  }

  private delayFor(next: NextAttempt): number {
    if (next.backoffAttempt === null) return 0;
    return backoffDelay(next.backoffAttempt, this.opts.backoff ?? { baseMs: 500, maxMs: 30_000 });
  }

  private welcome(welcome: Welcome): void {
    this.rotation.connected();
    this.opts.logger.info('connected to controller', { url: this.rotation.current, hostId: welcome.hostId });
    this.heartbeatIntervalMs = welcome.heartbeatIntervalMs;
    const controllerSeq = welcome.lastSeq;
    const resume =
      !welcome.needSnapshot && !this.needsSnapshot && this.outbox.canResumeFrom(controllerSeq, this.nextSeq - 1);
    this.setState('synced');
    if (resume) {
      const pending = this.outbox.pending();
      this.opts.logger.info('resumed session', { controllerSeq, resending: pending.length });
      for (const delta of pending) this.send(delta);
    } else {
      this.nextSeq = Math.max(this.nextSeq, controllerSeq + 1);
      this.sendSnapshot();
    }
    this.startHeartbeat();
    this.dispatch(() => this.opts.onSynced?.(), 'welcome');
  }

  // A hook that throws is the hook's bug; it must not take the connection down.
  private dispatch(hook: () => void, type: string): void {
    try {
      hook();
    } catch (err) {
      this.opts.logger.error('handling a controller frame failed', { type, error: err });
    }
  }

  private sendSnapshot(): void {
    let inventory: Inventory;
    try {
      inventory = this.opts.inventory();
    } catch (err) {
      this.opts.logger.error('cannot build a snapshot', { error: err });
      this.send(errorFrame('unavailable', `agent cannot build a snapshot: ${(err as Error).message}`));
      this.socket?.close(1011, 'no snapshot');
      return;
    }
    // The snapshot supersedes every unacknowledged delta.
    this.outbox.reset();
    this.needsSnapshot = false;
    const seq = this.nextSeq++;
    this.send({ type: 'snapshot', seq, ...inventory });
    this.opts.logger.info('sent snapshot', { seq, containers: inventory.containers.length });
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastHeardAt > this.heartbeatIntervalMs * 3) {
        this.opts.logger.warn('controller silent for 3 heartbeats; reconnecting');
        this.socket?.terminate();
        return;
      }
      this.opts
        .load()
        .then((load) => this.send({ type: 'heartbeat', at: new Date().toISOString(), load }))
        .catch((err: Error) => this.opts.logger.warn('cannot read load', { error: err }));
    }, this.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  // Stream frames go out whenever the socket is open; false when it is not.
  sendStreamFrame(frame: AgentMessage | Uint8Array): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(frame instanceof Uint8Array ? frame : JSON.stringify(frame));
    return true;
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private setState(state: SessionState): void {
    if (this.state === 'stopped' && state !== 'stopped') return;
    this.state = state;
    for (const l of this.listeners) l(state);
  }
}
