// `npm run migrate:check`: fails when replaying prisma/migrations does not produce exactly the
// schema in prisma/schema.prisma (a schema change without its migration, or a hand-edited one).
// The replay runs in a throwaway database on SHADOW_DATABASE_URL (else DATABASE_URL, else the
// local default), dropped afterwards.
import {
  defaultServerUrl,
  diff,
  listMigrationNames,
  migrationsTarget,
  schemaTarget,
  withDatabase,
} from './lib/schema-engine.mjs';

// The maintenance database: the named one may not exist yet.
const serverUrl = withDatabase(
  process.env.SHADOW_DATABASE_URL ?? process.env.DATABASE_URL ?? defaultServerUrl,
  'postgres',
);
const names = await listMigrationNames();
if (names.length === 0) {
  console.error('migrate:check: prisma/migrations holds no migration; run `npm run migrate:new -- init`.');
  process.exit(1);
}
const result = await diff({ from: await migrationsTarget(), to: await schemaTarget(), serverUrl });
if (result.empty) {
  console.log(`migrate:check: ${names.length} migration(s) match prisma/schema.prisma.`);
} else {
  console.error('migrate:check: prisma/schema.prisma differs from the migrations. The missing SQL is:\n');
  console.error(result.sql);
  console.error('Run `npm run migrate:new -- <name>` to add it as a migration.');
  process.exit(1);
}
