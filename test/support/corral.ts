import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CorralClient } from '@corral/client';
import { createTestDatabase, type TestDatabase } from './database.js';
import { detectEngines } from './engines.js';
import type { HttpAnswer } from './http.js';
import { AppProcess, freePort } from './processes.js';
import { waitFor } from './wait.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ApiCommand {
  id: string;
  status: string;
  op: string;
  result: Record<string, unknown> | null;
  error: { code: string; message: string; retryable: boolean } | null;
  output: string;
}

export interface ApiContainer {
  id: string;
  hostId: string;
  runtime: string;
  engineId: string;
  name: string;
  state: string;
  ipv4: string[];
}

// The built controller and one agent for this machine, as real processes on a throwaway database.
export class Corral {
  readonly tag = randomBytes(3).toString('hex');
  db!: TestDatabase;
  controller!: AppProcess;
  agent!: AppProcess;
  base = '';
  hostId = '';
  lxcPath = '';
  stateDir = '';
  // The bootstrap admin token (CORRAL_ADMIN_TOKEN) request() sends.
  readonly adminToken = `corral-e2e-admin-${randomBytes(16).toString('hex')}`;
  // The typed client, as admin.
  client!: CorralClient;
  // The enrollment token the agent was started with (spent on its first start).
  enrollmentToken = '';
  private controllerEnv: Record<string, string> = {};
  private agentEnv: Record<string, string> = {};

  constructor(
    private readonly options: { controllerEnv?: Record<string, string>; agentEnv?: Record<string, string> } = {},
  ) {}

  get hostname(): string {
    return `e2e-${this.tag}`;
  }

  async start(): Promise<void> {
    const engines = await detectEngines();
    if (!engines.docker || !engines.lxc) throw new Error(`engines missing: ${engines.reasons.join('; ')}`);
    this.db = await createTestDatabase('corral_e2e');
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    this.client = new CorralClient({ baseUrl: this.base, token: this.adminToken });
    this.controllerEnv = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: this.db.url,
      CORRAL_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'corral-data-')),
      CORRAL_OFFLINE_GRACE_MS: '3000',
      CORRAL_HEARTBEAT_INTERVAL_MS: '1000',
      CORRAL_ADMIN_TOKEN: this.adminToken,
      ...this.options.controllerEnv,
    };
    await this.startController();
    this.lxcPath = await mkdtemp(path.join(os.tmpdir(), 'corral-lxc-'));
    this.stateDir = await mkdtemp(path.join(os.tmpdir(), 'corral-agent-'));
    this.enrollmentToken = await this.newEnrollmentToken();
    this.agentEnv = {
      CORRAL_CONTROLLER_URL: `ws://127.0.0.1:${port}/agent`,
      CORRAL_STATE_DIR: this.stateDir,
      CORRAL_LXC_PATHS: this.lxcPath,
      CORRAL_POLL_INTERVAL_MS: '500',
      CORRAL_HOSTNAME: this.hostname,
      CORRAL_ENROLLMENT_TOKEN: this.enrollmentToken,
      ...this.options.agentEnv,
    };
    await this.startAgent();
  }

  // A fresh one-use enrollment token, made through the API as admin.
  async newEnrollmentToken(body: Record<string, unknown> = {}): Promise<string> {
    const res = await this.request<{ secret: string }>('POST', '/api/v1/enrollment-tokens', {
      name: this.hostname,
      ...body,
    });
    if (res.status !== 201) throw new Error(`enrollment token: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.secret;
  }

  async startController(): Promise<void> {
    this.controller = new AppProcess('controller', this.controllerEnv);
    this.controller.start();
    await waitFor('controller ready', async () => (await fetch(`${this.base}/readyz`)).ok, 60_000, 100).catch((err) => {
      throw new Error(`${(err as Error).message}\n${this.controller.tail()}`);
    });
  }

  async startAgent(): Promise<void> {
    const startedAt = Date.now();
    this.agent = new AppProcess('agent', this.agentEnv);
    this.agent.start();
    // Connected from this process on: a host still online from an earlier agent does not count.
    const host = await waitFor(
      'agent online',
      async () => {
        const hosts = await this.get<Page<{ id: string; status: string; facts: unknown; connectedAt: string | null }>>(
          `/api/v1/hosts?name=${this.hostname}`,
        );
        return hosts.body.items.find(
          (h) => h.status === 'online' && h.facts && h.connectedAt && Date.parse(h.connectedAt) >= startedAt,
        );
      },
      30_000,
      100,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${this.agent.tail()}\n${this.controller.tail()}`);
    });
    this.hostId = host.id;
  }

  async stop(): Promise<void> {
    await this.agent?.kill();
    await this.controller?.kill();
    if (this.lxcPath) await rm(this.lxcPath, { recursive: true, force: true });
    if (this.stateDir) await rm(this.stateDir, { recursive: true, force: true });
    if (this.controllerEnv.CORRAL_DATA_DIR)
      await rm(this.controllerEnv.CORRAL_DATA_DIR, { recursive: true, force: true });
    await this.db?.drop();
  }

  // Any route through the client; a string body is sent as it is, with no content type unless given.
  request<T>(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer<T>> {
    const typed = typeof body === 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
    return this.client.request<T>(
      method,
      p,
      body,
      typed ? { 'content-type': 'text/plain;charset=UTF-8', ...headers } : headers,
    );
  }

  get<T>(p: string): Promise<HttpAnswer<T>> {
    return this.request<T>('GET', p);
  }

  // Issues a command and waits for its end; fails loudly on anything but the expected status.
  async command(method: string, p: string, body?: unknown, expected = 'succeeded'): Promise<ApiCommand> {
    const sep = p.includes('?') ? '&' : '?';
    const res = await this.request<ApiCommand>(method, `${p}${sep}wait=90`, body);
    if (res.status !== 202 && res.status !== 200) {
      throw new Error(`${method} ${p} -> ${res.status} ${JSON.stringify(res.body)}`);
    }
    if (res.body.status !== expected) {
      throw new Error(`${method} ${p} ended ${res.body.status}, expected ${expected}: ${JSON.stringify(res.body)}`);
    }
    return res.body;
  }

  async container(name: string): Promise<ApiContainer | undefined> {
    const res = await this.get<Page<ApiContainer>>(
      `/api/v1/containers?host=${this.hostId}&name=${encodeURIComponent(name)}`,
    );
    return res.body.items.find((c) => c.name === name);
  }

  async commandCount(): Promise<number> {
    let count = 0;
    let cursor: string | null = null;
    do {
      const res: HttpAnswer<Page<unknown>> = await this.get<Page<unknown>>(
        `/api/v1/commands?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      count += res.body.items.length;
      cursor = res.body.nextCursor;
    } while (cursor);
    return count;
  }
}
