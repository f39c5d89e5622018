import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from './paths.js';

// Postgres for benchmarks: BENCH_DATABASE_URL, or the machine's own at 127.0.0.1:5432.
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// A throwaway database with a random name; drop() removes it with its connections.
export async function createBenchDatabase(prefix = 'corral_bench'): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: databaseUrl(name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

// The committed migrations, in order, for baselines that need Corral's tables without a controller.
export async function applyMigrationSql(url: string): Promise<void> {
  const dir = path.join(REPO_ROOT, 'prisma', 'migrations');
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const name of names) await client.query(readFileSync(path.join(dir, name, 'migration.sql'), 'utf8'));
  } finally {
    await client.end();
  }
}

// Backend pids serving one database, to charge Postgres CPU to the run that caused it.
export async function backendPids(database: string): Promise<number[]> {
  return admin(async (c) => {
    const { rows } = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
    return rows.map((r) => r.pid);
  });
}
