import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../apps/controller/src/database/migrator.js';
import * as engine from '../../scripts/lib/schema-engine.mjs';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';

const root = path.resolve(import.meta.dirname, '../..');
const migrationsDir = path.join(root, 'prisma/migrations');

// prisma/schema.prisma with one more column, to show the check catches a schema change without migration.
async function schemaWithExtraField(dir: string): Promise<string> {
  const schema = await readFile(path.join(root, 'prisma/schema.prisma'), 'utf8');
  const changed = schema.replace(/^(\s+hostname\s+String)$/m, '$1\n  rack String?');
  expect(changed).not.toBe(schema);
  const file = path.join(dir, 'schema.prisma');
  await writeFile(file, changed);
  return file;
}

async function shadowDatabases(): Promise<string[]> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'corral_shadow_%' ORDER BY datname`,
    );
    return rows.map((r) => r.datname);
  } finally {
    await admin.end();
  }
}

describe('migrations agree with prisma/schema.prisma', () => {
  let db: TestDatabase;
  let tmp: string;

  beforeAll(async () => {
    db = await createTestDatabase('corral_schema');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'corral-schema-'));
    await applyMigrations(db.url, migrationsDir);
  });

  afterAll(async () => {
    await db?.drop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('a database migrated by the controller has exactly the schema of prisma/schema.prisma', async () => {
    const diff = await engine.diff({
      from: await engine.databaseTarget(),
      to: await engine.schemaTarget(),
      serverUrl: db.url,
    });
    expect(diff.sql).toBe('-- This is an empty migration.\n');
    expect(diff.empty).toBe(true);
  });

  it('notices a field that no migration creates', async () => {
    const diff = await engine.diff({
      from: await engine.databaseTarget(),
      to: await engine.schemaTarget(await schemaWithExtraField(tmp)),
      serverUrl: db.url,
    });
    expect(diff.empty).toBe(false);
    expect(diff.sql).toContain('ALTER TABLE "Host" ADD COLUMN     "rack" TEXT;');
  });

  it('replaying the migrations directory agrees too, and leaves no shadow database behind', async () => {
    const shadowsBefore = await shadowDatabases();
    const before = await engine.diff({
      from: await engine.migrationsTarget(migrationsDir),
      to: await engine.schemaTarget(),
      serverUrl: ADMIN_URL,
    });
    expect(before.empty).toBe(true);

    const changed = await engine.diff({
      from: await engine.migrationsTarget(migrationsDir),
      to: await engine.schemaTarget(await schemaWithExtraField(tmp)),
      serverUrl: ADMIN_URL,
    });
    expect(changed.empty).toBe(false);
    expect(changed.sql).toContain('"rack" TEXT');

    expect(await shadowDatabases()).toEqual(shadowsBefore);
  });

  it('npm run migrate:check passes on the committed tree', () => {
    const run = spawnSync(process.execPath, [path.join(root, 'scripts/migrate-check.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, SHADOW_DATABASE_URL: ADMIN_URL },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
