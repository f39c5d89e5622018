import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type AgentMessage, parseAgentMessage } from '@corral/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { Fleet, parseControllerUrls } from './fleet.js';

// A hand-driven controller: records what agents send and answers only what the test tells it to.
class FakeController {
  readonly received: AgentMessage[] = [];
  readonly sockets: WebSocket[] = [];
  private constructor(readonly server: WebSocketServer) {
    server.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.on('message', (data) => {
        const parsed = parseAgentMessage(data.toString());
        if (!parsed.ok) throw new Error(parsed.error.message);
        this.received.push(parsed.message);
      });
    });
  }

  static async start(): Promise<FakeController> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    return new FakeController(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/agent`;
  }

  get socket(): WebSocket {
    return this.sockets.at(-1)!;
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  welcome(lastSeq: number, needSnapshot: boolean): void {
    this.send({
      type: 'welcome',
      protocolVersion: '1.0',
      hostId: '5f0c6a8e-2f7e-4c1a-9d51-0b9c1f3d2a11',
      heartbeatIntervalMs: 10_000,
      lastSeq,
      needSnapshot,
    });
  }

  async next<T extends AgentMessage['type']>(type: T, timeoutMs = 3_000): Promise<Extract<AgentMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex((m) => m.type === type);
      if (i >= 0) return this.received.splice(i, 1)[0] as Extract<AgentMessage, { type: T }>;
      if (Date.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise((r) => this.server.close(r));
  }
}

describe('Fleet', () => {
  let controller: FakeController;
  let sut: Fleet;

  afterEach(async () => {
    vi.restoreAllMocks();
    await sut?.stop();
    await controller?.close();
  });

  it('says hello, sends a snapshot, then deltas, and replays an unacknowledged delta after reconnecting', async () => {
    controller = await FakeController.start();
    sut = new Fleet({ url: controller.url, hosts: 1, containersPerHost: 10, flushIntervalMs: 20 });
    sut.start();

    const hello = await controller.next('hello');
    expect(hello.agentId).toBe(sut.agents[0]!.host.agentId);
    expect(hello.lastAckedSeq).toBe(0);
    controller.welcome(0, true);
    const snapshot = await controller.next('snapshot');
    expect(snapshot.seq).toBe(1);
    expect(snapshot.containers).toHaveLength(10);
    controller.send({ type: 'ack', seq: 1 });
    await sut.waitFor((s) => s.hostsSynced === 1, 3_000, 10);

    const agent = sut.agents[0]!;
    const wasRunning = agent.host.isRunning(9);
    agent.host.flipContainer(9);
    agent.containerChanged(9, Date.now());
    const delta = await controller.next('delta');
    expect(delta.seq).toBe(2);
    expect(delta.changes).toHaveLength(1);
    expect(delta.changes[0]).toMatchObject({ op: 'upsert', kind: 'container' });
    expect((delta.changes[0] as { record: { state: string } }).record.state).toBe(wasRunning ? 'exited' : 'running');

    // The link drops before the ack: the same delta goes again, after hello says what was acknowledged.
    controller.socket.terminate();
    const again = await controller.next('hello', 5_000);
    expect(again.lastAckedSeq).toBe(1);
    controller.welcome(1, false);
    const replayed = await controller.next('delta');
    expect(replayed).toEqual(delta);
    expect(controller.received.some((m) => m.type === 'snapshot')).toBe(false);
    controller.send({ type: 'ack', seq: 2 });
    await sut.waitFor((s) => s.deltasAcked === 1 && s.unackedDeltas === 0, 3_000, 10);
  });

  it('coalesces a change undone before it could be sent', async () => {
    controller = await FakeController.start();
    sut = new Fleet({ url: controller.url, hosts: 1, containersPerHost: 10, flushIntervalMs: 20 });
    sut.start();
    await controller.next('hello');
    controller.welcome(0, true);
    await controller.next('snapshot');
    controller.send({ type: 'ack', seq: 1 });
    await sut.waitFor((s) => s.hostsSynced === 1, 3_000, 10);
    const agent = sut.agents[0]!;
    agent.host.flipContainer(3);
    agent.containerChanged(3, Date.now());
    agent.host.flipContainer(3);
    agent.host.renewLease(0);
    agent.leaseChanged(0, Date.now());
    const delta = await controller.next('delta');
    expect(delta.changes.map((c) => c.kind)).toEqual(['lease']);
    expect(sut.snapshot().coalesced).toBe(1);
  });

  it('answers a command with accepted, then an ok result after the delay', async () => {
    controller = await FakeController.start();
    sut = new Fleet({ url: controller.url, hosts: 1, containersPerHost: 2, commandDelayMs: 30 });
    sut.start();
    await controller.next('hello');
    controller.welcome(0, true);
    await controller.next('snapshot');
    const id = '0b7e2f1c-3d4a-4b5c-8d6e-7f8091a2b3c4';
    controller.send({
      type: 'command',
      id,
      op: 'container.start',
      target: { kind: 'host' },
      params: {},
      deadline: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(await controller.next('command.accepted')).toEqual({ type: 'command.accepted', id });
    expect(await controller.next('command.result')).toMatchObject({ id, ok: true, result: {}, error: null });
  });

  it('answers with the delay set while it runs', async () => {
    controller = await FakeController.start();
    sut = new Fleet({ url: controller.url, hosts: 1, containersPerHost: 2, commandDelayMs: 60_000 });
    sut.start();
    await controller.next('hello');
    controller.welcome(0, true);
    await controller.next('snapshot');
    sut.setCommandDelay(0);
    const id = '1c8f3a2d-4e5b-4c6d-9e7f-8091a2b3c4d5';
    controller.send({
      type: 'command',
      id,
      op: 'container.restart',
      target: { kind: 'host' },
      params: {},
      deadline: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(await controller.next('command.result', 1_000)).toMatchObject({ id, ok: true });
    expect(sut.commandDelayMs).toBe(0);
  });

  it('fails over to the next replica of a comma list at once when its replica drops it, and comes back', async () => {
    controller = await FakeController.start();
    const second = await FakeController.start();
    try {
      // A backoff's jitter at its top: the first one would wait 500 ms, so the try of the next
      // replica is told from a backoff with room to spare on a busy machine.
      vi.spyOn(Math, 'random').mockReturnValue(1);
      sut = new Fleet({ url: `${controller.url},${second.url}`, hosts: 1, containersPerHost: 2 });
      sut.start();
      await controller.next('hello');
      controller.welcome(0, true);
      await controller.next('snapshot');
      const dropped = Date.now();
      controller.socket.terminate();
      await second.next('hello', 1_000);
      // No backoff before the first try of the next replica.
      expect(Date.now() - dropped).toBeLessThan(450);
      second.welcome(1, false);
      second.socket.terminate();
      await controller.next('hello', 1_000);
    } finally {
      await second.close();
    }
  });

  it('stays on its replica and backs off when closed as superseded (4409)', async () => {
    controller = await FakeController.start();
    const second = await FakeController.start();
    try {
      sut = new Fleet({ url: `${controller.url},${second.url}`, hosts: 1, containersPerHost: 2 });
      sut.start();
      await controller.next('hello');
      controller.welcome(0, true);
      controller.socket.close(4409, 'superseded');
      await controller.next('hello', 2_000);
      expect(second.received).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('reads a comma list of agent endpoints and refuses what is not one', () => {
    expect(parseControllerUrls('ws://a:1/agent, wss://b:2/agent')).toEqual(['ws://a:1/agent', 'wss://b:2/agent']);
    expect(() => parseControllerUrls('http://a/agent')).toThrow(/not a ws/);
    expect(() => parseControllerUrls(' , ')).toThrow(/no controller URL/);
  });
});
