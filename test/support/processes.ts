import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

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
