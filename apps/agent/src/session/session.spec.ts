import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CommandCancel, type CommandMessage, PROTOCOL_VERSION, sampleFacts } from '@corral/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { silentLogger } from '../lib/logger.js';
import { Session, type SessionOptions } from './session.js';

// A controller that welcomes every connection and records the frames it receives.
class FakeController {
  readonly server: WebSocketServer;
  readonly frames: { type: string; [k: string]: unknown }[] = [];
  socket: WebSocket | null = null;

  constructor() {
    this.server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    this.server.on('connection', (socket) => {
      this.socket = socket;
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString());
        this.frames.push(frame);
        if (frame.type === 'hello') {
          socket.send(
            JSON.stringify({
              type: 'welcome',
              protocolVersion: PROTOCOL_VERSION,
              hostId: 'h1',
              heartbeatIntervalMs: 10_000,
              lastSeq: 0,
              needSnapshot: true,
            }),
          );
        }
        if (frame.type === 'snapshot' || frame.type === 'delta')
          socket.send(JSON.stringify({ type: 'ack', seq: frame.seq }));
      });
    });
  }

  listening(): Promise<void> {
    return new Promise((resolve) => this.server.once('listening', () => resolve()));
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/agent`;
  }

  send(frame: object): void {
    this.socket?.send(JSON.stringify(frame));
  }

  types(): string[] {
    return this.frames.map((f) => f.type);
  }

  close(): Promise<void> {
    for (const c of this.server.clients) c.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Session command routing', () => {
  let controller: FakeController;
  let sut: Session;
  let commands: CommandMessage[];
  let cancels: CommandCancel[];
  let synced: number;
  let acks: number[];

  beforeEach(async () => {
    controller = new FakeController();
    await controller.listening();
    commands = [];
    cancels = [];
    synced = 0;
    acks = [];
    sut = new Session({
      urls: [controller.url],
      agentId: 'agent-0001',
      hostname: () => 'h',
      agentVersion: '0.0.0',
      runtimes: () => [],
      inventory: () => ({
        facts: sampleFacts,
        containers: [],
        images: [],
        volumes: [],
        networks: [],
        bridges: [],
        leases: [],
      }),
      load: async () => ({ load1: 0, load5: 0, load15: 0, memoryAvailableBytes: 0, uptimeSeconds: 0 }),
      logger: silentLogger,
      backoff: { baseMs: 10, maxMs: 20 },
      onCommand: (m) => commands.push(m),
      onCancel: (m) => cancels.push(m),
      onSynced: () => synced++,
      onAck: (seq) => acks.push(seq),
    });
  });

  afterEach(async () => {
    await sut.stop();
    await controller.close();
  });

  it('hands command and command.cancel frames to the hooks, and sends frames once synced', async () => {
    expect(sut.sendFrame({ type: 'command.accepted', id: randomUUID() })).toBeNull();
    sut.start();
    await until('the welcome', () => synced === 1);
    const id = randomUUID();
    controller.send({
      type: 'command',
      id,
      op: 'container.start',
      target: { kind: 'container', runtime: 'docker', id: 'abc' },
      params: {},
      deadline: new Date(Date.now() + 60_000).toISOString(),
    });
    controller.send({ type: 'command.cancel', id });
    await until('both frames', () => commands.length === 1 && cancels.length === 1);
    expect(commands[0]).toMatchObject({ id, op: 'container.start', target: { lxcPath: null } });

    const mark = sut.sendFrame({ type: 'command.result', id, ok: true, result: {}, error: null });
    // The snapshot took seq 1, so the next delta carries 2: its ack proves the result arrived.
    expect(mark).toBe(2);
    sut.publish([{ op: 'upsert', kind: 'facts', record: sampleFacts }]);
    await until('the ack of the delta', () => acks.includes(2));
    expect(controller.types()).toEqual(['hello', 'snapshot', 'command.result', 'delta']);
  });

  it('answers a bad command frame with an error frame and never calls the hook', async () => {
    sut.start();
    await until('the welcome', () => synced === 1);
    controller.send({ type: 'command', id: 'not-a-uuid', op: 'container.start' });
    await until('the error frame', () => controller.types().includes('error'));
    expect(commands).toEqual([]);
  });

  it('sends a snapshot on request and calls onSynced after every welcome', async () => {
    expect(sut.sendSnapshotNow()).toBe(false);
    sut.start();
    await until('the welcome', () => synced === 1);
    expect(sut.sendSnapshotNow()).toBe(true);
    await until('the second snapshot', () => controller.types().filter((t) => t === 'snapshot').length === 2);
    controller.socket?.terminate();
    await until('the second welcome', () => synced === 2);
  });
});

describe('Session failover between controller replicas', () => {
  let a: FakeController;
  let b: FakeController;
  let sut: Session | null = null;
  let synced: number;

  const session = (backoffMs: number) => new Session(options(backoffMs));
  const options = (backoffMs: number): SessionOptions => ({
    urls: [a.url, b.url],
    agentId: 'agent-0001',
    hostname: () => 'h',
    agentVersion: '0.0.0',
    runtimes: () => [],
    inventory: () => ({
      facts: sampleFacts,
      containers: [],
      images: [],
      volumes: [],
      networks: [],
      bridges: [],
      leases: [],
    }),
    load: async () => ({ load1: 0, load5: 0, load15: 0, memoryAvailableBytes: 0, uptimeSeconds: 0 }),
    logger: silentLogger,
    backoff: { baseMs: backoffMs, maxMs: backoffMs },
    onSynced: () => synced++,
  });

  beforeEach(async () => {
    a = new FakeController();
    b = new FakeController();
    await Promise.all([a.listening(), b.listening()]);
    synced = 0;
  });

  afterEach(async () => {
    await sut?.stop();
    await Promise.all([a.close(), b.close()]);
  });

  it('says hello to the next replica at once when its controller goes away', async () => {
    // A backoff of a minute: only an immediate switch passes within the test's time.
    sut = session(60_000);
    sut.start();
    await until('welcome from the first', () => synced === 1 && a.frames.some((f) => f.type === 'snapshot'));
    expect(sut.url).toBe(a.url);
    await a.close();
    await until('welcome from the second', () => synced === 2, 2_000);
    expect(sut.url).toBe(b.url);
    const hello = b.frames.find((f) => f.type === 'hello');
    expect(hello).toMatchObject({ agentId: 'agent-0001', lastAckedSeq: 1 });
  });

  it('moves on at once from a replica that is down or refuses the credential', async () => {
    // Down: a port nothing listens on any more. Refusing: answers every upgrade with 401.
    const down = new FakeController();
    await down.listening();
    const downUrl = down.url;
    await down.close();
    const refusing = createServer();
    refusing.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const refusingUrl = `ws://127.0.0.1:${(refusing.address() as AddressInfo).port}/agent`;
    try {
      sut = new Session({ ...options(60_000), urls: [downUrl, refusingUrl, b.url] });
      sut.start();
      await until('welcome from the third', () => synced === 1, 2_000);
      expect(sut.url).toBe(b.url);
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
    }
  });

  it('waits its backoff after a close as superseded, then reconnects to the same replica', async () => {
    sut = session(400);
    sut.start();
    await until('welcome', () => synced === 1);
    const closedAt = Date.now();
    a.socket?.close(4409, 'superseded by a newer connection');
    await until('welcome again', () => synced === 2);
    // backoffDelay(0) is between half the base and the base.
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(190);
    expect(a.frames.filter((f) => f.type === 'hello')).toHaveLength(2);
    expect(b.frames).toEqual([]);
  });
});
