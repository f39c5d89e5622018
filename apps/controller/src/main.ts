import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.js';
import { createAppLogger } from './app.logger.js';
import { CLI_USAGE, runCli, UsageError } from './cli.js';
import { ConfigError, loadConfig } from './config/config.js';
import { loadTlsMaterial } from './config/tls.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';
import { applyMigrations, defaultMigrationsDir } from './database/migrator.js';
import { createPrismaClient } from './database/prisma.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Lines logged before the application exists (embedded Postgres, migrations) go the same way.
  Logger.overrideLogger(createAppLogger(config));
  const logger = new Logger('Corral');
  const args = process.argv.slice(2);
  if (args.length > 0) {
    await runCommand(config, args);
    return;
  }
  const tls = config.tls ? loadTlsMaterial(config.tls) : null;

  let stopDatabase = async () => {};
  let url: string;
  if (config.databaseUrl) {
    url = config.databaseUrl;
  } else {
    logger.log(`DATABASE_URL is unset: starting an embedded Postgres in ${config.dataDir}/postgres`);
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger: new Logger('EmbeddedPostgres') });
    url = embedded.url;
    stopDatabase = () => embedded.stop();
  }

  try {
    const migrationsDir = defaultMigrationsDir();
    const { applied } = await applyMigrations(url, migrationsDir);
    if (applied.length > 0) logger.log(`applied migrations: ${applied.join(', ')}`);

    const prisma = createPrismaClient(url);
    const app = await createApp({ config, database: { url, migrationsDir }, prisma });
    await app.listen(config.port, config.host);
    const shown = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
    const [http, ws] = tls ? ['https', 'wss'] : ['http', 'ws'];
    logger.log(`API on ${http}://${shown}:${config.port}/api/v1, docs on ${http}://${shown}:${config.port}/api/docs`);
    logger.log(`agents connect to ${ws}://${shown}:${config.port}/agent`);
    if (tls) logger.log(`TLS certificate ${tls.subject}, SHA-256 fingerprint ${tls.fingerprint256}`);

    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal}: stopping`);
      await app.close();
      await prisma.$disconnect();
      await stopDatabase();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } catch (err) {
    await stopDatabase().catch(() => {});
    throw err;
  }
}

// A command line run: exit 2 for a usage mistake, 1 when it could not be done, with one clear line.
async function runCommand(config: Parameters<typeof runCli>[0], args: string[]): Promise<void> {
  try {
    await runCli(config, args);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${CLI_USAGE}`);
      process.exit(2);
    }
    console.error(`${args[0]} failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

main().then(
  () => {
    // A command line run ends here; the server keeps the process alive through its sockets.
    if (process.argv.length > 2) process.exit(0);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
    } else {
      console.error('controller failed to start:', err instanceof Error ? (err.stack ?? err.message) : err);
    }
    process.exit(1);
  },
);
