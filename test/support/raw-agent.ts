import { randomUUID } from 'node:crypto';
import { type ControllerMessage, PROTOCOL_VERSION, sampleFacts } from '@corral/protocol';
import WebSocket from 'ws';

// A bare WebSocket speaking the agent protocol by hand, to drive the controller frame by frame.
export class RawAgent {
  readonly received: ControllerMessage[] = [];
  // Binary frames (stream data), in arrival order.
  readonly binary: Buffer[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly socket: WebSocket,
    private readonly identity: { agentId?: string; hostname?: string },
  ) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) this.binary.push(data as Buffer);
      else this.received.push(JSON.parse(data.toString()) as ControllerMessage);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  // `identity` is what hello() sends unless told otherwise (the enrolled agent id and hostname).
  static async connect(
    url: string,
    headers: Record<string, string> = {},
    identity: { agentId?: string; hostname?: string } = {},
  ): Promise<RawAgent> {
    const socket = new WebSocket(url, { headers });
    const agent = new RawAgent(socket, identity);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return agent;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  hello(overrides: Record<string, unknown> = {}) {
    return {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      agentId: this.identity.agentId ?? randomUUID(),
      hostname: this.identity.hostname ?? 'test-host',
      agentVersion: '0.0.0-test',
      runtimes: sampleFacts.runtimes,
      lastAckedSeq: 0,
      capabilities: [],
      ...overrides,
    };
  }

  // A full snapshot frame: seq 1, sampleFacts, every list empty, unless told otherwise.
  snapshot(overrides: Record<string, unknown> = {}) {
    return {
      type: 'snapshot',
      seq: 1,
      facts: sampleFacts,
      containers: [],
      images: [],
      volumes: [],
      networks: [],
      bridges: [],
      leases: [],
      ...overrides,
    };
  }

  // Resolves with the next frame of `type` not yet consumed; fails after `timeoutMs`.
  async next<T extends ControllerMessage['type']>(
    type: T,
    timeoutMs = 5_000,
  ): Promise<Extract<ControllerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((m) => m.type === type);
      if (index >= 0) return this.received.splice(index, 1)[0] as Extract<ControllerMessage, { type: T }>;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} frame within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  // Resolves with the next binary frame not yet consumed.
  async nextBinary(timeoutMs = 5_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.binary.length === 0) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for a binary frame`);
      if (Date.now() > deadline) throw new Error(`no binary frame within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.binary.shift()!;
  }

  async waitClosed(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket still open');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closed;
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
