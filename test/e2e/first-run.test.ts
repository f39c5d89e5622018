import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectEngines } from '../support/engines.js';
import { alive, descendants, type ProcessInfo } from '../support/process-tree.js';
import { freePort, REPO_ROOT } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

interface FleetSummary {
  hosts: { online: number };
  totals: { bridges: number };
}

interface NpmStart {
  npm: ChildProcess;
  port: number;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  // What npm start runs, found below the npm process once Corral is up.
  parts: { script: ProcessInfo; controller: ProcessInfo; postgres: ProcessInfo[]; agent: ProcessInfo };
  all: ProcessInfo[];
  summary: FleetSummary;
  dir: string;
}

// Nothing listens on the port any more: binding it succeeds.
async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// The README's run command as a user types it: `npm start`, the controller with an embedded Postgres
// and an enrolled agent, stopped by a signal to the npm process alone (kill <npm pid>), not its group.
describe('npm start on this machine', () => {
  let dir = '';
  const token = `crl_api_${randomBytes(24).toString('base64url')}`;
  const leftovers: number[] = [];

  beforeAll(async () => {
    await detectEngines();
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-first-run-'));
    // The embedded Postgres runs as its own user and must reach the data dir.
    await chmod(dir, 0o711);
  });

  // A failed test must not leave its controller and Postgres to the next one.
  afterEach(() => {
    for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Each run has its own data and state dirs: a first run (enrolling the agent) every time.
  async function npmStart(): Promise<NpmStart> {
    const port = await freePort();
    const run = await mkdtemp(path.join(dir, 'run-'));
    await chmod(run, 0o711);
    const startedAt = Date.now();
    const output: string[] = [];
    const npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        CORRAL_ADMIN_TOKEN: token,
        CORRAL_DATA_DIR: path.join(run, 'data'),
        CORRAL_STATE_DIR: path.join(run, 'agent'),
        DATABASE_URL: '',
        npm_config_update_notifier: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => output.push(...b.toString().split('\n'));
    npm.stdout?.on('data', keep);
    npm.stderr?.on('data', keep);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      npm.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await waitFor(
      'npm start to say Corral runs',
      () => output.some((l) => l.includes('Press Ctrl-C')),
      120_000,
      200,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${output.slice(-40).join('\n')}`);
    });
    const all = descendants(npm.pid!);
    leftovers.push(...all.map((p) => p.pid));
    const find = (what: string, test: (p: ProcessInfo) => boolean) => {
      const found = all.find(test);
      if (!found) throw new Error(`no ${what} below npm (pid ${npm.pid}): ${all.map((p) => p.command).join(' | ')}`);
      return found;
    };
    const parts = {
      script: find('start script', (p) => p.command.endsWith('scripts/start.mjs')),
      controller: find('controller', (p) => p.command.endsWith('apps/controller/dist/main.js')),
      postgres: all.filter((p) => /\/postgres( |$)/.test(p.command.split(' ')[0]!)),
      agent: find('agent', (p) => p.command.endsWith('apps/agent/dist/main.js')),
    };
    // Stopped once it runs, as a user would: this run's agent connected (the host stays online from the
    // run before until the offline sweep) and the inventory in.
    const headers = { authorization: `Bearer ${token}` };
    const summary = await waitFor(
      "this run's agent connected and this host's inventory in",
      async () => {
        const hosts = (await (await fetch(`http://127.0.0.1:${port}/api/v1/hosts`, { headers })).json()) as {
          items: { status: string; connectedAt: string | null }[];
        };
        const connected = hosts.items.some(
          (h) => h.status === 'online' && h.connectedAt !== null && Date.parse(h.connectedAt) >= startedAt,
        );
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/fleet/summary`, { headers });
        const body = (await res.json()) as FleetSummary;
        return connected && body.hosts.online === 1 && body.totals.bridges > 0 ? body : undefined;
      },
      30_000,
      200,
    );
    return { npm, port, output, exited, parts, all, summary, dir: run };
  }

  // Everything npm start ran is gone, and its port is free.
  async function expectAllGone(run: NpmStart): Promise<void> {
    await waitFor('every process npm start ran to end', () => run.all.every((p) => !alive(p.pid)), 10_000, 100).catch(
      () => undefined,
    );
    expect(run.all.filter((p) => alive(p.pid)).map((p) => `${p.pid} ${p.command}`)).toEqual([]);
    expect(await portFree(run.port)).toBe(true);
    await expect(fetch(`http://127.0.0.1:${run.port}/healthz`)).rejects.toThrow();
  }

  it('starts everything, names the engines it found, reports this host, and stops it all on SIGINT to npm', async () => {
    const run = await npmStart();
    const text = run.output.join('\n');
    expect(text).toContain(`http://127.0.0.1:${run.port}/api/docs`);
    // This machine runs every engine (scripts/engines-up.sh): nothing is said to be missing.
    expect(text).toMatch(
      /\[start\] engines: Docker \(API [\d.]+ on \/var\/run\/docker\.sock\), LXC .*, dnsmasq .*, iproute2/,
    );
    expect(text).not.toContain('this machine lacks');
    expect(text).toContain(
      `[start]   processes controller ${run.parts.controller.pid}, agent ${run.parts.agent.pid}, this script ${run.parts.script.pid}`,
    );
    // npm runs the script itself (exec), with no shell in between to swallow its signals.
    expect(run.parts.script.ppid).toBe(run.npm.pid);
    expect(run.parts.postgres.length).toBeGreaterThan(0);

    expect(run.summary.hosts.online).toBe(1);
    expect(run.summary.totals.bridges).toBeGreaterThan(0);
    expect((await stat(path.join(run.dir, 'agent', 'credential'))).mode & 0o777).toBe(0o600);

    process.kill(run.npm.pid!, 'SIGINT');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.output.join('\n')).toContain('[start] SIGINT: shutting down');
    expect(run.output.join('\n')).toContain('controller stopped (exit code 0)');
    await expectAllGone(run);
  });

  it('stops it all on SIGTERM to npm', async () => {
    const run = await npmStart();
    process.kill(run.npm.pid!, 'SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const text = run.output.join('\n');
    expect(text).toContain('[start] SIGTERM: shutting down');
    expect(text).toContain('agent stopped (exit code 0)');
    expect(text).toContain('controller stopped (exit code 0)');
    await expectAllGone(run);
  });

  it('stops it all when npm itself is killed -9 and can forward nothing', async () => {
    const run = await npmStart();
    process.kill(run.npm.pid!, 'SIGKILL');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor('the start script to end', () => !alive(run.parts.script.pid), 60_000, 100).catch(() => undefined);
    expect(alive(run.parts.script.pid)).toBe(false);
    expect(run.output.join('\n')).toContain(`the process that started this one (pid ${run.npm.pid}) is gone`);
    await expectAllGone(run);
  });
});
