import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorralClient } from '@corral/client';
import { execa } from 'execa';
import { waitFor } from './wait.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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

// A built app (controller or agent) as a real child process, its output kept for failure reports.
export class AppProcess {
  readonly output: string[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: 'controller' | 'agent',
    private readonly env: Record<string, string>,
  ) {}

  start(): void {
    const entry = path.join(REPO_ROOT, 'apps', this.name, 'dist', 'main.js');
    const child = spawn(process.execPath, [entry], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line) this.output.push(line);
      }
      if (this.output.length > 2_000) this.output.splice(0, this.output.length - 2_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  // The exit code once it has exited; null while it runs or when a signal ended it.
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
    if (!this.child || !this.running) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  tail(lines = 40): string {
    return this.output.slice(-lines).join('\n');
  }
}

export interface CliRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  ms: number;
}

// The built controller's command line (`node apps/controller/dist/main.js ARGS`), run to its end.
// Only `env` and PATH/HOME reach it, so a DATABASE_URL of the test runner's cannot leak in.
export async function controllerCli(args: string[], env: Record<string, string>, timeoutMs = 90_000): Promise<CliRun> {
  const started = performance.now();
  const result = await execa(process.execPath, [path.join(REPO_ROOT, 'apps/controller/dist/main.js'), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
    extendEnv: false,
    reject: false,
    timeout: timeoutMs,
    stripFinalNewline: false,
  });
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    ms: Math.round(performance.now() - started),
  };
}

// A built controller process serving `databaseUrl` on a port of its own, ready (`/readyz`) when
// this resolves, with an API client for the admin token it was given.
export interface ReplicaProcess {
  process: AppProcess;
  port: number;
  baseUrl: string;
  wsUrl: string;
  client: CorralClient;
}

export async function startReplicaProcess(
  databaseUrl: string,
  scratch: string,
  adminToken: string,
  env: Record<string, string> = {},
): Promise<ReplicaProcess> {
  const port = await freePort();
  const proc = new AppProcess('controller', {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    CORRAL_DATA_DIR: await mkdtemp(path.join(scratch, 'controller-')),
    CORRAL_ADMIN_TOKEN: adminToken,
    CORRAL_HEARTBEAT_INTERVAL_MS: '1000',
    CORRAL_OFFLINE_GRACE_MS: '3000',
    CORRAL_LOG_LEVEL: 'warn',
    ...env,
  });
  proc.start();
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    'controller ready',
    () =>
      fetch(`${baseUrl}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
    60_000,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${proc.tail()}`);
  });
  return {
    process: proc,
    port,
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/agent`,
    client: new CorralClient({ baseUrl, token: adminToken }),
  };
}

// A built agent process on a machine with no engines it can reach (empty Docker socket path, lxc
// path and lease files): it reports a host with none, and answers commands such as host.refresh.
export async function startBareAgent(
  scratch: string,
  controllerUrl: string,
  enrollmentToken: string,
  hostname: string,
): Promise<AppProcess> {
  const agent = new AppProcess('agent', {
    CORRAL_CONTROLLER_URL: controllerUrl,
    CORRAL_ENROLLMENT_TOKEN: enrollmentToken,
    CORRAL_STATE_DIR: await mkdtemp(path.join(scratch, 'agent-')),
    CORRAL_LXC_PATHS: await mkdtemp(path.join(scratch, 'lxc-')),
    CORRAL_LEASE_FILES: path.join(scratch, 'no-leases-*.leases'),
    CORRAL_DOCKER_SOCKET: path.join(scratch, 'no-docker.sock'),
    CORRAL_HOSTNAME: hostname,
    CORRAL_POLL_INTERVAL_MS: '500',
  });
  agent.start();
  return agent;
}
