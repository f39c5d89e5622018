import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { alive, descendants, type ProcessInfo } from './process-tree.js';
import { freePort, REPO_ROOT } from './processes.js';
import { waitFor } from './wait.js';

export interface FleetSummary {
  hosts: { online: number };
  totals: { bridges: number; images: number };
}

// `npm start` as a user runs it, on its own port with its own data and state dirs.
export interface NpmStart {
  npm: ChildProcess;
  port: number;
  dir: string;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  // What npm start runs, found below the npm process once Corral is up.
  parts: { script: ProcessInfo; controller: ProcessInfo; postgres: ProcessInfo[]; agent: ProcessInfo };
  all: ProcessInfo[];
  summary: FleetSummary;
}

// Starts `npm start` with a fresh embedded Postgres and agent state under `parent`, and returns once
// this run's agent is connected and the host's inventory is in.
export async function npmStart(parent: string, token: string): Promise<NpmStart> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(parent, 'run-'));
  // The embedded Postgres runs as its own user and must reach the data dir through both.
  await chmod(parent, 0o711);
  await chmod(dir, 0o711);
  const startedAt = Date.now();
  const output: string[] = [];
  const npm = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      CORRAL_ADMIN_TOKEN: token,
      CORRAL_DATA_DIR: path.join(dir, 'data'),
      CORRAL_STATE_DIR: path.join(dir, 'agent'),
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
  const failWithOutput = (err: unknown): never => {
    throw new Error(`${(err as Error).message}\n${output.slice(-40).join('\n')}`);
  };
  // npm start failing (a controller that cannot start) ends the wait at once, with its output.
  const endedEarly = exited.then(({ code, signal }) => {
    throw new Error(`npm start ended (${signal ?? `exit code ${code}`}) before Corral ran`);
  });
  endedEarly.catch(() => undefined);
  await Promise.race([
    waitFor('npm start to say Corral runs', () => output.some((l) => l.includes('Press Ctrl-C')), 120_000, 200),
    endedEarly,
  ]).catch(failWithOutput);
  const all = descendants(npm.pid!);
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
  // Used once it runs, as a user would: this run's agent connected (a host stays online from an
  // earlier run until the offline sweep) and the inventory in.
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
      const body = (await (
        await fetch(`http://127.0.0.1:${port}/api/v1/fleet/summary`, { headers })
      ).json()) as FleetSummary;
      return connected && body.hosts.online === 1 && body.totals.bridges > 0 ? body : undefined;
    },
    30_000,
    200,
  ).catch(failWithOutput);
  return { npm, port, dir, output, exited, parts, all, summary };
}

// Kills whatever of a run is still alive (a failed test must not leave its controller and Postgres).
export function killLeftovers(run: NpmStart | null): void {
  if (!run) return;
  for (const p of [...run.all, ...descendants(run.npm.pid!)]) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
  if (run.npm.pid && alive(run.npm.pid)) process.kill(run.npm.pid, 'SIGKILL');
}
