import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectEngines } from '../support/engines.js';
import { freePort, REPO_ROOT } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

// The README's run command: controller with an embedded Postgres plus an enrolled agent, Ctrl-C stops all.
describe('npm start on this machine', () => {
  let child: ChildProcess | null = null;
  let dir = '';
  const output: string[] = [];

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts everything, reports this host, and stops cleanly on SIGINT', async () => {
    await detectEngines();
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-first-run-'));
    // The embedded Postgres runs as its own user and must reach the data dir.
    await chmod(dir, 0o711);
    const port = await freePort();
    const token = `crl_api_${randomBytes(24).toString('base64url')}`;
    child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.mjs')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        CORRAL_ADMIN_TOKEN: token,
        CORRAL_DATA_DIR: path.join(dir, 'data'),
        CORRAL_STATE_DIR: path.join(dir, 'agent'),
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => output.push(...b.toString().split('\n'));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));

    await waitFor(
      'the start script says Corral runs',
      () => output.some((l) => l.includes('Press Ctrl-C')),
      120_000,
      200,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${output.slice(-40).join('\n')}`);
    });
    expect(output.join('\n')).toContain(`http://127.0.0.1:${port}/api/docs`);
    const summary = await waitFor(
      'this host online in the fleet summary',
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/fleet/summary`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await res.json()) as { hosts: { online: number }; totals: { bridges: number } };
        return body.hosts.online === 1 && body.totals.bridges > 0 ? body : undefined;
      },
      30_000,
      200,
    );
    expect(summary.hosts.online).toBe(1);
    expect((await stat(path.join(dir, 'agent', 'credential'))).mode & 0o777).toBe(0o600);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output.join('\n')).toContain('controller stopped (exit code 0)');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
