import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ControllerProcess } from './controller-process.js';
import { REPO_ROOT } from './paths.js';
import { CpuMeter, stopChild, watchChild } from './proc.js';
import { sleep } from './stats.js';

interface HostRow {
  id: string;
  status: string;
  facts: unknown;
  connectedAt: string | null;
  runtimes: { name: string; available: boolean }[];
  counts: { images: number };
}

// The built agent (apps/agent/dist/main.js) for this machine's real engines, enrolled with a one-use
// token, with its own state dir and an empty lxcpath so that only Docker has anything to report.
export class AgentProcess {
  readonly output: string[] = [];
  // The agent with the programs it ran (ip, lxc-*), once they ended.
  readonly cpu = new CpuMeter(() => (this.child?.pid ? [this.child.pid] : []), true);
  private exited: Promise<number | null> = Promise.resolve(null);
  hostId = '';

  private constructor(
    readonly hostname: string,
    private readonly dirs: string[],
    private child: ChildProcess | null,
  ) {}

  static async start(ctl: ControllerProcess, env: Record<string, string> = {}): Promise<AgentProcess> {
    // CORRAL_BENCH_AGENT runs another build (say, of an older commit) against the same engines.
    const entry = path.resolve(
      REPO_ROOT,
      process.env.CORRAL_BENCH_AGENT ?? path.join('apps', 'agent', 'dist', 'main.js'),
    );
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'corral-bench-agent-'));
    const lxcPath = await mkdtemp(path.join(os.tmpdir(), 'corral-bench-lxc-'));
    const hostname = `bench-engines-${randomBytes(3).toString('hex')}`;
    const startedAt = Date.now();
    const child = spawn(process.execPath, [entry], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CORRAL_CONTROLLER_URL: ctl.wsUrl,
        CORRAL_ENROLLMENT_TOKEN: await ctl.enrollmentToken(1),
        CORRAL_STATE_DIR: stateDir,
        CORRAL_LXC_PATHS: lxcPath,
        CORRAL_HOSTNAME: hostname,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sut = new AgentProcess(hostname, [stateDir, lxcPath], child);
    sut.exited = watchChild(child, sut.output);
    try {
      sut.hostId = await sut.waitSynced(ctl, startedAt, 60_000);
    } catch (error) {
      await sut.stop();
      throw error;
    }
    return sut;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  // The agent's own lxcpath (empty at start): LXC containers made here are the agent's to report.
  get lxcPath(): string {
    return this.dirs[1]!;
  }

  tail(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    await stopChild(child, this.exited, 15_000);
    for (const dir of this.dirs) await rm(dir, { recursive: true, force: true });
  }

  // Online from this process on, Docker available, and its first snapshot stored (the bench image shows).
  private async waitSynced(ctl: ControllerProcess, startedAt: number, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no host yet';
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null) throw new Error(`agent exited while starting:\n${this.tail()}`);
      const page = await ctl.get<{ items: HostRow[] }>(`/api/v1/hosts?name=${this.hostname}`);
      const host = page.items[0];
      if (host) {
        const docker = host.runtimes.find((r) => r.name === 'docker');
        last = `status ${host.status}, docker ${docker?.available ? 'available' : 'missing'}, ${host.counts.images} images`;
        const connected = host.connectedAt !== null && Date.parse(host.connectedAt) >= startedAt - 1000;
        if (host.status === 'online' && connected && host.facts && docker?.available && host.counts.images > 0) {
          return host.id;
        }
        if (host.facts && docker && !docker.available) {
          throw new Error(`the agent reports Docker unavailable: run scripts/engines-up.sh\n${this.tail()}`);
        }
      }
      await sleep(100);
    }
    throw new Error(`agent ${this.hostname} not synced within ${timeoutMs} ms (${last}):\n${this.tail()}`);
  }
}
