import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  defaultMigrationsDir,
  MigrationError,
  migrationStatus,
} from '../../apps/controller/src/database/migrator.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const repoMigrations = path.resolve(import.meta.dirname, '../../prisma/migrations');

interface Row {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const rows = (url: string) => query<Row>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name');

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(path.join(dir, name));
  await writeFile(path.join(dir, name, 'migration.sql'), sql);
}

describe('migrator', () => {
  let db: TestDatabase;
  let dir: string;
  let initName: string;
  let names: string[];

  beforeEach(async () => {
    db = await createTestDatabase('corral_migrate');
    // Each test works on its own copy, free to add or break migrations.
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-migrations-'));
    await cp(repoMigrations, dir, { recursive: true });
    initName = (await readdir(dir)).find((n) => n.endsWith('_init'))!;
    names = (await readdir(dir)).filter((n) => /^\d+_/.test(n)).sort();
  });

  afterEach(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the repository migrations from the module file', () => {
    expect(defaultMigrationsDir()).toBe(repoMigrations);
    expect(defaultMigrationsDir('/elsewhere/migrations')).toBe('/elsewhere/migrations');
  });

  it('applies to an empty database and records each migration the way Prisma does', async () => {
    expect(await migrationStatus(db.url, dir)).toEqual({ pending: names, failed: [], modified: [] });

    const { applied } = await applyMigrations(db.url, dir);
    expect(applied).toEqual(names);

    const tables = await query<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      [
        'AgentCredential',
        'ApiToken',
        'AuditEntry',
        'Bridge',
        'ClusterSetting',
        'Command',
        'Container',
        'CreatePolicy',
        'DoctorFinding',
        'EnrollmentToken',
        'EventBatch',
        'Host',
        'Image',
        'ImageOrigin',
        'ImagePolicy',
        'Lease',
        'Network',
        'Placement',
        'Registry',
        'Replica',
        'Volume',
        'VolumeUse',
        'WebSession',
        '_prisma_migrations',
      ].sort(),
    );

    const recorded = await rows(db.url);
    expect(recorded.map((r) => r.migration_name)).toEqual(names);
    const row = recorded[0];
    const bytes = await readFile(path.join(dir, initName, 'migration.sql'));
    expect(row).toMatchObject({
      migration_name: initName,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      logs: null,
      rolled_back_at: null,
      applied_steps_count: 1,
    });
    expect(row!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(row!.finished_at).toBeInstanceOf(Date);
    expect(row!.finished_at!.getTime()).toBeGreaterThanOrEqual(row!.started_at.getTime());

    const columns = await query<{ column_name: string; data_type: string; is_nullable: string }>(
      db.url,
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
      ['id', 'character varying', 'NO'],
      ['checksum', 'character varying', 'NO'],
      ['finished_at', 'timestamp with time zone', 'YES'],
      ['migration_name', 'character varying', 'NO'],
      ['logs', 'text', 'YES'],
      ['rolled_back_at', 'timestamp with time zone', 'YES'],
      ['started_at', 'timestamp with time zone', 'NO'],
      ['applied_steps_count', 'integer', 'NO'],
    ]);
    expect(await migrationStatus(db.url, dir)).toEqual({ pending: [], failed: [], modified: [] });
  });

  it('does nothing the second time', async () => {
    await applyMigrations(db.url, dir);
    const before = await rows(db.url);
    expect(await applyMigrations(db.url, dir)).toEqual({ applied: [] });
    expect(await rows(db.url)).toEqual(before);
  });

  it('records a failing migration, rolls it back, and blocks later starts until it is resolved', async () => {
    await applyMigrations(db.url, dir);
    await addMigration(dir, '29990101000000_broken', 'CREATE TABLE "Half" (id int);\nSELECT * FROM "NoSuchTable";\n');

    const failure = await applyMigrations(db.url, dir).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure).toMatchObject({ code: 'failed', migrationName: '29990101000000_broken' });

    const broken = (await rows(db.url)).find((r) => r.migration_name === '29990101000000_broken')!;
    expect(broken.finished_at).toBeNull();
    expect(broken.rolled_back_at).toBeNull();
    expect(broken.applied_steps_count).toBe(0);
    expect(broken.logs).toContain('relation "NoSuchTable" does not exist');
    // The script ran in a transaction: its first statement left nothing behind.
    expect(await query(db.url, `SELECT to_regclass('"Half"') AS t`)).toEqual([{ t: null }]);

    await addMigration(dir, '29990102000000_later', 'CREATE TABLE "Later" (id int);\n');
    expect(await migrationStatus(db.url, dir)).toEqual({
      pending: ['29990102000000_later'],
      failed: ['29990101000000_broken'],
      modified: [],
    });
    const blocked = await applyMigrations(db.url, dir).catch((e: unknown) => e);
    expect(blocked).toMatchObject({ code: 'previously-failed', migrationName: '29990101000000_broken' });
    expect((blocked as Error).message).toMatch(/29990101000000_broken.*prisma migrate resolve --rolled-back/s);
    expect(await query(db.url, `SELECT to_regclass('"Later"') AS t`)).toEqual([{ t: null }]);

    // What `prisma migrate resolve --rolled-back` does, then a fixed file.
    await query(db.url, `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1`, [
      '29990101000000_broken',
    ]);
    await writeFile(path.join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "Half" (id int);\n');
    expect(await applyMigrations(db.url, dir)).toEqual({ applied: ['29990101000000_broken', '29990102000000_later'] });
    expect(await migrationStatus(db.url, dir)).toEqual({ pending: [], failed: [], modified: [] });
  });

  it('refuses an applied migration whose file changed', async () => {
    await applyMigrations(db.url, dir);
    const file = path.join(dir, initName, 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited\n`);

    expect((await migrationStatus(db.url, dir)).modified).toEqual([initName]);
    const error = await applyMigrations(db.url, dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'modified', migrationName: initName });
    expect((error as Error).message).toContain('checksum');
  });

  it('applies once when two controllers start together', async () => {
    const results = await Promise.all([applyMigrations(db.url, dir), applyMigrations(db.url, dir)]);
    expect(results.map((r) => r.applied).sort()).toEqual([[], names]);
    expect((await rows(db.url)).map((r) => r.migration_name)).toEqual(names);
  });
});
