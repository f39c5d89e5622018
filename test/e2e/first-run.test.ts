import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectEngines } from '../support/engines.js';
import { killLeftovers, type NpmStart, npmStart } from '../support/npm-start.js';
import { alive } from '../support/process-tree.js';
import { waitFor } from '../support/wait.js';

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
  let run: NpmStart | null = null;
  const token = `crl_api_${randomBytes(24).toString('base64url')}`;

  beforeAll(async () => {
    await detectEngines();
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-first-run-'));
  });

  afterEach(() => {
    killLeftovers(run);
    run = null;
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Everything npm start ran is gone, and its port is free.
  async function expectAllGone(r: NpmStart): Promise<void> {
    await waitFor('every process npm start ran to end', () => r.all.every((p) => !alive(p.pid)), 10_000, 100).catch(
      () => undefined,
    );
    expect(r.all.filter((p) => alive(p.pid)).map((p) => `${p.pid} ${p.command}`)).toEqual([]);
    expect(await portFree(r.port)).toBe(true);
    await expect(fetch(`http://127.0.0.1:${r.port}/healthz`)).rejects.toThrow();
  }

  it('starts everything, names the engines it found, reports this host, and stops it all on SIGINT to npm', async () => {
    run = await npmStart(dir, token);
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
    run = await npmStart(dir, token);
    process.kill(run.npm.pid!, 'SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const text = run.output.join('\n');
    expect(text).toContain('[start] SIGTERM: shutting down');
    expect(text).toContain('agent stopped (exit code 0)');
    expect(text).toContain('controller stopped (exit code 0)');
    await expectAllGone(run);
  });

  it('stops it all when npm itself is killed -9 and can forward nothing', async () => {
    run = await npmStart(dir, token);
    const script = run.parts.script.pid;
    process.kill(run.npm.pid!, 'SIGKILL');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor('the start script to end', () => !alive(script), 60_000, 100).catch(() => undefined);
    expect(alive(script)).toBe(false);
    expect(run.output.join('\n')).toContain(`the process that started this one (pid ${run.npm.pid}) is gone`);
    await expectAllGone(run);
  });
});
