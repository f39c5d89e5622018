import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

// Applies the committed SQL under prisma/migrations and keeps Prisma's own bookkeeping table, so
// that `prisma migrate status|resolve|deploy` keep working against a database the controller set up.

// The key Prisma Migrate itself locks on, so a controller and a `prisma migrate deploy` never overlap.
const ADVISORY_LOCK_KEY = 72707369;
const MIGRATION_FILE = 'migration.sql';

// Prisma's DDL for the table, column for column.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

// Statements Postgres refuses inside a transaction block, or a script that manages its own
// transactions: such a script is sent as it is (Postgres still runs a multi-statement script atomically).
const NON_TRANSACTIONAL =
  /\b(CONCURRENTLY|VACUUM|ALTER\s+SYSTEM|CREATE\s+DATABASE|DROP\s+DATABASE)\b|^\s*(BEGIN\s*;|BEGIN\s+(TRANSACTION|WORK)\b|START\s+TRANSACTION\b|COMMIT\s*;)/im;

export interface MigrationLogger {
  log(message: string): void;
  warn(message: string): void;
}

export type MigrationErrorCode = 'failed' | 'previously-failed' | 'modified' | 'missing-file';

export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    readonly migrationName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export interface MigrationStatus {
  pending: string[];
  failed: string[];
  // Applied migrations whose file changed since.
  modified: string[];
}

interface LocalMigration {
  name: string;
  script: string;
  checksums: string[];
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  rolled_back_at: Date | null;
}

// Walks up from this module (src/database or dist/database of apps/controller) to the repository's
// prisma/migrations; `override` wins when given (a packaged controller keeps them elsewhere).
export function defaultMigrationsDir(override?: string): string {
  if (override) return path.resolve(override);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(path.join(candidate, 'migration_lock.toml'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(
        `No prisma/migrations (with migration_lock.toml) above ${fileURLToPath(import.meta.url)}; pass the migrations directory explicitly`,
      );
    }
    dir = parent;
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readLocalMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(migrationsDir, name, MIGRATION_FILE);
      const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') {
          throw new MigrationError('missing-file', name, `Migration ${name} has no ${MIGRATION_FILE} (${file})`);
        }
        throw error;
      });
      const script = bytes.toString('utf8');
      // Prisma accepts a checkout with CRLF line endings as the same migration; so do we.
      const checksums = [sha256(bytes), sha256(script.replace(/\r\n/g, '\n'))];
      return { name, script, checksums };
    }),
  );
}

async function migrationsTableExists(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS "exists"`,
  );
  return rows[0]!.exists;
}

async function readRows(client: pg.ClientBase): Promise<MigrationRow[]> {
  if (!(await migrationsTableExists(client))) return [];
  const { rows } = await client.query<MigrationRow>(
    `SELECT id, checksum, finished_at, migration_name, rolled_back_at
       FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
  );
  return rows;
}

function summarize(local: LocalMigration[], rows: MigrationRow[]): MigrationStatus {
  const live = rows.filter((r) => r.rolled_back_at === null);
  const failed = live.filter((r) => r.finished_at === null).map((r) => r.migration_name);
  const applied = new Map(live.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));
  const pending: string[] = [];
  const modified: string[] = [];
  for (const m of local) {
    const row = applied.get(m.name);
    if (!row) {
      if (!failed.includes(m.name)) pending.push(m.name);
    } else if (!m.checksums.includes(row.checksum)) {
      modified.push(m.name);
    }
  }
  return { pending, failed, modified };
}

function failedError(name: string): MigrationError {
  return new MigrationError(
    'previously-failed',
    name,
    `Migration ${name} failed earlier and blocks all later migrations; its error is in _prisma_migrations.logs. ` +
      `Fix the database by hand, then run \`npx prisma migrate resolve --rolled-back ${name}\` to retry it ` +
      `or \`npx prisma migrate resolve --applied ${name}\` if you completed it yourself.`,
  );
}

function modifiedError(name: string): MigrationError {
  return new MigrationError(
    'modified',
    name,
    `Migration ${name} was changed after it was applied (checksum mismatch). Restore the committed file ` +
      `and put the change in a new migration (\`npm run migrate:new -- <name>\`).`,
  );
}

async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A connection lost mid-statement (a /readyz that gave up waiting) fails that statement; unheard,
  // the client's 'error' event would kill the process.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function applyOne(client: pg.Client, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  await client.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
     VALUES ($1, $2, $3, now(), 0)`,
    [id, migration.checksums[0], migration.name],
  );
  const finish = `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`;
  const transactional = !NON_TRANSACTIONAL.test(migration.script);
  try {
    if (transactional) {
      // The row update shares the transaction, so "finished" and "applied" can never disagree.
      await client.query('BEGIN');
      await client.query(migration.script);
      await client.query(finish, [id]);
      await client.query('COMMIT');
    } else {
      await client.query(migration.script);
      await client.query(finish, [id]);
    }
  } catch (error) {
    if (transactional) await client.query('ROLLBACK').catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    const logs = `Migration ${migration.name} failed:\n${formatPgError(error, message)}`;
    await client.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, logs]);
    throw new MigrationError(
      'failed',
      migration.name,
      `Migration ${migration.name} failed: ${message}. ${transactional ? 'Its changes were rolled back' : 'It ran outside a transaction and may be partly applied'}; ` +
        `fix it, then run \`npx prisma migrate resolve --rolled-back ${migration.name}\`.`,
      { cause: error },
    );
  }
}

function formatPgError(error: unknown, message: string): string {
  const e = error as Partial<pg.DatabaseError>;
  const parts = [message];
  if (e.code) parts.push(`code: ${e.code}`);
  if (e.position) parts.push(`position: ${e.position}`);
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.where) parts.push(`where: ${e.where}`);
  return parts.join('\n');
}

export async function applyMigrations(
  databaseUrl: string,
  migrationsDir: string,
  logger?: MigrationLogger,
): Promise<{ applied: string[] }> {
  const local = await readLocalMigrations(migrationsDir);
  return withClient(databaseUrl, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      // Read after taking the lock: another instance may have just applied some.
      const rows = await readRows(client);
      const status = summarize(local, rows);
      if (status.failed.length > 0) throw failedError(status.failed[0]!);
      if (status.modified.length > 0) throw modifiedError(status.modified[0]!);
      const known = new Set(local.map((m) => m.name));
      const unknown = rows.filter(
        (r) => r.finished_at !== null && r.rolled_back_at === null && !known.has(r.migration_name),
      );
      for (const row of unknown) {
        logger?.warn(`Migration ${row.migration_name} is applied to the database but missing from ${migrationsDir}`);
      }

      const applied: string[] = [];
      for (const migration of local.filter((m) => status.pending.includes(m.name))) {
        logger?.log(`Applying migration ${migration.name}`);
        await applyOne(client, migration);
        applied.push(migration.name);
      }
      logger?.log(
        applied.length > 0
          ? `Applied ${applied.length} migration(s)`
          : `Database schema is up to date (${local.length} migrations)`,
      );
      return { applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch(() => undefined);
    }
  });
}

export async function migrationStatus(databaseUrl: string, migrationsDir: string): Promise<MigrationStatus> {
  const local = await readLocalMigrations(migrationsDir);
  return withClient(databaseUrl, async (client) => summarize(local, await readRows(client)));
}
