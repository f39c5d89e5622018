import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations, migrationStatus } from '../../apps/controller/src/database/migrator.js';
import * as engine from '../../scripts/lib/schema-engine.mjs';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The Prisma CLI needs a native schema engine this machine cannot download, so these tests drive the
// code behind `prisma migrate status|deploy|resolve` (the same engine, built to WebAssembly) directly.

const repoMigrations = path.resolve(import.meta.dirname, '../../prisma/migrations');

describe('history shared with Prisma Migrate', () => {
  let db: TestDatabase;
  let dir: string;

  beforeEach(async () => {
    db = await createTestDatabase('corral_compat');
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-migrations-'));
    await cp(repoMigrations, dir, { recursive: true });
  });

  afterEach(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('Prisma sees a database migrated by the controller as up to date', async () => {
    await applyMigrations(db.url, dir);

    const diagnosis = await engine.diagnoseHistory({ databaseUrl: db.url, dir });
    expect(diagnosis).toMatchObject({
      hasMigrationsTable: true,
      history: null,
      failedMigrationNames: [],
      editedMigrationNames: [],
    });
    expect(await engine.deployMigrations({ databaseUrl: db.url, dir })).toEqual({ appliedMigrationNames: [] });
  });

  it('the controller sees a database migrated by Prisma as up to date', async () => {
    const names = await engine.listMigrationNames(dir);
    expect(await engine.deployMigrations({ databaseUrl: db.url, dir })).toEqual({ appliedMigrationNames: names });

    expect(await migrationStatus(db.url, dir)).toEqual({ pending: [], failed: [], modified: [] });
    expect(await applyMigrations(db.url, dir)).toEqual({ applied: [] });
  });

  it('a failure recorded by the controller is one Prisma reports, and `migrate resolve` clears it', async () => {
    await applyMigrations(db.url, dir);
    const broken = '29990101000000_broken';
    await mkdir(path.join(dir, broken));
    await writeFile(path.join(dir, broken, 'migration.sql'), 'SELECT * FROM "NoSuchTable";\n');
    await expect(applyMigrations(db.url, dir)).rejects.toMatchObject({ code: 'failed' });

    const diagnosis = await engine.diagnoseHistory({ databaseUrl: db.url, dir });
    expect(diagnosis.failedMigrationNames).toEqual([broken]);

    await engine.markRolledBack({ databaseUrl: db.url, migrationName: broken });
    await writeFile(path.join(dir, broken, 'migration.sql'), 'CREATE TABLE "Fixed" (id int);\n');
    expect(await applyMigrations(db.url, dir)).toEqual({ applied: [broken] });
    expect(await engine.diagnoseHistory({ databaseUrl: db.url, dir })).toMatchObject({
      history: null,
      failedMigrationNames: [],
      editedMigrationNames: [],
    });
  });
});
