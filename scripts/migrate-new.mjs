// `npm run migrate:new -- <name>`: writes prisma/migrations/<yyyymmddhhmmss>_<name>/migration.sql,
// the SQL that takes a database from the committed migrations to prisma/schema.prisma. The old
// state comes from replaying the migrations into a throwaway database on SHADOW_DATABASE_URL
// (else DATABASE_URL, else the local default); the dev database itself is never touched.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  defaultServerUrl,
  diff,
  emptyTarget,
  listMigrationNames,
  lockfileContent,
  migrationsDir,
  migrationsTarget,
  schemaTarget,
  withDatabase,
} from './lib/schema-engine.mjs';

function timestamp(date) {
  const p = (n) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

function fail(message) {
  console.error(`migrate:new: ${message}`);
  process.exit(1);
}

const rawName = process.argv[2];
if (!rawName || process.argv.length > 3) fail('usage: npm run migrate:new -- <name>   (e.g. add_host_zone)');
const name = rawName
  .toLowerCase()
  .replace(/[^a-z0-9]+/g, '_')
  .replace(/^_+|_+$/g, '');
if (!name) fail(`"${rawName}" has no usable characters; use letters, digits and underscores`);

const lockPath = path.join(migrationsDir, 'migration_lock.toml');
await mkdir(migrationsDir, { recursive: true });
if (!existsSync(lockPath)) await writeFile(lockPath, lockfileContent);

const existing = await listMigrationNames();
// The maintenance database: the named one may not exist yet.
const serverUrl = withDatabase(
  process.env.SHADOW_DATABASE_URL ?? process.env.DATABASE_URL ?? defaultServerUrl,
  'postgres',
);
let result;
try {
  const from = existing.length === 0 ? emptyTarget() : await migrationsTarget();
  result = await diff({ from, to: await schemaTarget(), serverUrl });
} catch (error) {
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  fail(
    `could not compute the migration: ${detail}\n` +
      `The schema engine needs a Postgres server where it can create a throwaway database to replay ` +
      `the migrations; set SHADOW_DATABASE_URL (tried ${new URL(serverUrl).host}).`,
  );
}

if (result.empty) {
  console.log('No changes: prisma/schema.prisma matches the migrations.');
  process.exit(0);
}

let stamp = timestamp(new Date());
const last = existing.at(-1);
// Keep directory-name order equal to creation order, even with a skewed clock.
if (last && last.slice(0, 14) >= stamp) stamp = String(BigInt(last.slice(0, 14)) + 1n);
const dir = path.join(migrationsDir, `${stamp}_${name}`);
await mkdir(dir);
await writeFile(path.join(dir, 'migration.sql'), result.sql);
console.log(`Wrote ${path.relative(process.cwd(), path.join(dir, 'migration.sql'))}; review it, then commit it.`);
