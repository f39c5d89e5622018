import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { type BenchDatabase, backendPids, createBenchDatabase } from './database.js';
import { REPO_ROOT } from './paths.js';
import { CpuMeter, cpuSeconds, memory, stopChild, watchChild } from './proc.js';
import { sleep } from './stats.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ControllerOptions {
  env?: Record<string, string>;
  // Directory for a V8 CPU profile of the controller (node --cpu-prof), written when it exits.
  cpuProfileDir?: string;
  // Another replica's database: this controller joins it and leaves it in place when it stops.
  database?: BenchDatabase;
}

// The built controller (apps/controller/dist/main.js) as a child process on a throwaway database.
export class ControllerProcess {
  readonly output: string[] = [];
  private exited: Promise<number | null> = Promise.resolve(null);
  private pgPids: number[] = [];
  readonly cpu = new CpuMeter(() => (this.child?.pid ? [this.child.pid] : []));
  readonly postgresCpu = new CpuMeter(() => this.pgPids);
  // When the first measured phase began (CLOCK_MONOTONIC, µs): the CPU profile is read from there on.
  profileFromMicros: number | undefined;
  // The bootstrap admin token the controller was started with.
  static readonly adminToken = `crl_api_${randomBytes(32).toString('base64url')}`;

  private constructor(
    readonly db: BenchDatabase,
    readonly port: number,
    private child: ChildProcess | null,
    private readonly ownsDatabase = true,
  ) {}

  static async start(options: ControllerOptions = {}): Promise<ControllerProcess> {
    // CORRAL_BENCH_CONTROLLER runs another build (say, of an older commit) against the same fleet.
    const entry = path.resolve(
      REPO_ROOT,
      process.env.CORRAL_BENCH_CONTROLLER ?? path.join('apps', 'controller', 'dist', 'main.js'),
    );
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
    const db = options.database ?? (await createBenchDatabase());
    const port = await freePort();
    // CORRAL_BENCH_NODE_ARGS: flags for the controller's node alone (say, a heap setting to compare).
    const nodeOptions = (process.env.CORRAL_BENCH_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
    if (options.cpuProfileDir) {
      mkdirSync(options.cpuProfileDir, { recursive: true });
      nodeOptions.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
    }
    const child = spawn(process.execPath, [...nodeOptions, entry], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        CORRAL_LOG_LEVEL: 'warn',
        CORRAL_ADMIN_TOKEN: ControllerProcess.adminToken,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sut = new ControllerProcess(db, port, child, !options.database);
    sut.exited = watchChild(child, sut.output);
    try {
      await sut.waitReady(60_000);
      sut.pgPids = await backendPids(db.name);
    } catch (err) {
      await sut.stop();
      throw err;
    }
    return sut;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/agent`;
  }

  // Counts the database's backends again (the pool grows on demand) before a measured phase.
  async refreshBackends(): Promise<void> {
    this.pgPids = await backendPids(this.db.name);
  }

  cpuSecondsTotal(): number {
    return cpuSeconds(this.pid) ?? 0;
  }

  memory(): { peakRssBytes: number; rssBytes: number } {
    return memory(this.pid) ?? { peakRssBytes: 0, rssBytes: 0 };
  }

  // Authorization for API calls (an admin token: reads need only a viewer, but one token serves all).
  get authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${ControllerProcess.adminToken}` };
  }

  // An enrollment token for `uses` simulated hosts.
  async enrollmentToken(uses: number): Promise<string> {
    const res = await fetch(`${this.baseUrl}/api/v1/enrollment-tokens`, {
      method: 'POST',
      headers: { ...this.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench fleet', maxUses: Math.max(1, uses), expiresInSeconds: 24 * 3600 }),
    });
    if (res.status !== 201) throw new Error(`enrollment token answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { secret: string }).secret;
  }

  async get<T>(pathname: string): Promise<T> {
    const res = await fetch(`${this.baseUrl}${pathname}`, { headers: this.authHeaders });
    if (!res.ok) throw new Error(`GET ${pathname} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return (await res.json()) as T;
  }

  tail(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    await stopChild(child, this.exited, 20_000);
    if (this.ownsDatabase) await this.db.drop();
  }

  // kill -9, as a crash would: nothing is closed or flushed. Resolves once the process has gone.
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null) throw new Error(`controller exited while starting:\n${this.tail()}`);
      try {
        const res = await fetch(`${this.baseUrl}/readyz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`controller not ready within ${timeoutMs} ms:\n${this.tail()}`);
  }
}
