import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type EmbeddedPostgresHandle,
  startEmbeddedPostgres,
} from '../../apps/controller/src/database/embedded-postgres.js';

const isRoot = process.getuid?.() === 0;

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function postmasterPid(clusterDir: string): Promise<number> {
  return Number((await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('embedded Postgres', () => {
  let dataDir: string;
  let running: EmbeddedPostgresHandle | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'corral-data-'));
    // mkdtemp makes it 0700; as root the server runs as the postgres user, which must get in.
    await chmod(dataDir, 0o755);
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates a cluster with the corral database, and keeps its data across restarts', async () => {
    running = await startEmbeddedPostgres({ dataDir });
    expect(running.clusterDir).toBe(path.join(dataDir, 'postgres'));
    expect(new URL(running.url).pathname).toBe('/corral');
    await query(running.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$first run$$)');
    const firstVersionFile = await readFile(path.join(running.clusterDir, 'PG_VERSION'), 'utf8');
    await running.stop();
    await expect(query(running.url, 'SELECT 1')).rejects.toThrow();

    running = await startEmbeddedPostgres({ dataDir });
    expect(await query(running.url, 'SELECT v FROM kept')).toEqual([{ v: 'first run' }]);
    expect(await readFile(path.join(running.clusterDir, 'PG_VERSION'), 'utf8')).toBe(firstVersionFile);
    const [{ current_user }] = await query<{ current_user: string }>(running.url, 'SELECT current_user');
    expect(current_user).toBe('postgres');
    await running.stop();
    running = undefined;
  });

  it('listens on a fixed port when given one', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    running = await startEmbeddedPostgres({ dataDir, port });
    expect(running.port).toBe(port);
    expect(new URL(running.url).port).toBe(String(port));
    expect(await query(running.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('starts again after the server was killed with SIGKILL (stale postmaster.pid)', async () => {
    running = await startEmbeddedPostgres({ dataDir });
    const pid = await postmasterPid(running.clusterDir);
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => !alive(pid), 'the postmaster to die');
    await running.stop();

    running = await startEmbeddedPostgres({ dataDir });
    expect(await query(running.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('takes over from a server orphaned by a killed controller', async () => {
    running = await startEmbeddedPostgres({ dataDir });
    const { clusterDir, port } = running;
    const args = spawnSync('cat', [`/proc/${await postmasterPid(clusterDir)}/cmdline`], { encoding: 'utf8' })
      .stdout.split('\0')
      .filter(Boolean);
    await running.stop();

    // The same server, started through a shell that exits at once: its parent becomes init, as after
    // `kill -9` of the controller that started it.
    const user = isRoot
      ? {
          uid: Number(spawnSync('id', ['-u', 'postgres']).stdout),
          gid: Number(spawnSync('id', ['-g', 'postgres']).stdout),
        }
      : {};
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    spawn('/bin/sh', ['-c', `${quoted} >/dev/null 2>&1 &`], { ...user, stdio: 'ignore' });
    let orphan = 0;
    await waitUntil(async () => {
      orphan = await postmasterPid(clusterDir).catch(() => 0);
      return orphan > 0 && alive(orphan);
    }, 'the orphaned postmaster');

    running = await startEmbeddedPostgres({ dataDir, port });
    expect(alive(orphan)).toBe(false);
    expect(await postmasterPid(clusterDir)).not.toBe(orphan);
    expect(await query(running.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('refuses a second controller on a cluster that is in use', async () => {
    running = await startEmbeddedPostgres({ dataDir });
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/already running .* for another process/);
  });

  it.runIf(isRoot)('explains a data directory the postgres user cannot enter', async () => {
    await chmod(dataDir, 0o700);
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/cannot reach .*chmod o\+x/);
  });
});
