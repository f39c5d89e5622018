import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import type { Config } from './config/config.js';
import { ConfigError } from './config/config.js';
import { runningEmbeddedPostgresUrl, startEmbeddedPostgres } from './database/embedded-postgres.js';
import { createKysely, type Db } from './database/kysely.js';
import { applyMigrations, defaultMigrationsDir } from './database/migrator.js';
import { createPgPool } from './database/pg-pool.js';
import { RoleSchema } from './dtos/auth.dto.js';
import type { JsonValue } from './generated/kysely/db.js';
import { ApiTokenRepository } from './repositories/api-token.repository.js';
import { AuditRepository } from './repositories/audit.repository.js';
import { systemClock } from './repositories/clock.repository.js';
import { EnrollmentRepository } from './repositories/enrollment.repository.js';
import { ApiTokenService } from './services/api-token.service.js';
import { ConnectedHosts } from './services/connected-hosts.js';
import { EnrollmentService } from './services/enrollment.service.js';

export const CLI_USAGE = `usage: npm run controller -- <command>
  (no command)                 run the controller
  enroll-token [--uses N] [--expires 1h] [--name NAME] [--allow-takeover]
                               print a new agent enrollment token (CORRAL_ENROLLMENT_TOKEN)
  api-token --name NAME --role viewer|operator|admin [--expires 30d]
                               print a new API token
Both work on the configured database (DATABASE_URL, or the embedded one in CORRAL_DATA_DIR),
whether the controller runs or not. The secret goes to stdout alone; details go to stderr.`;

const stderrLogger = {
  log: (message: string) => process.stderr.write(`${message}\n`),
  warn: (message: string) => process.stderr.write(`warning: ${message}\n`),
};

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

// "90", "90s", "30m", "1h", "7d" -> seconds.
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new ConfigError([`"${text}" is not a duration; use e.g. 90s, 30m, 1h or 7d`]);
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
}

function audit(db: Db, action: string, targetKind: string, targetId: string, detail: JsonValue) {
  return new AuditRepository(db).insert([
    {
      actor: 'command line',
      actorId: null,
      action,
      targetKind,
      targetId,
      outcome: 'ok',
      statusCode: null,
      detail,
      remoteAddr: null,
    },
  ]);
}

interface CliDatabase {
  db: Db;
  pool: Pool;
}

async function withDatabase<T>(config: Config, run: (database: CliDatabase) => Promise<T>): Promise<T> {
  let url = config.databaseUrl ?? (await runningEmbeddedPostgresUrl(config.dataDir));
  let stop = async () => {};
  if (!url) {
    // Progress goes to stderr: stdout carries only the secret, for $(...).
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger: stderrLogger });
    url = embedded.url;
    stop = () => embedded.stop();
  }
  try {
    await applyMigrations(url, defaultMigrationsDir());
    const pool = createPgPool(url, 2);
    try {
      return await run({ db: createKysely(pool), pool });
    } finally {
      await pool.end();
    }
  } finally {
    await stop();
  }
}

export async function runCli(config: Config, argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${CLI_USAGE}\n`);
    return;
  }
  if (command === 'enroll-token') {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        uses: { type: 'string', default: '1' },
        expires: { type: 'string', default: '1h' },
        name: { type: 'string' },
        'allow-takeover': { type: 'boolean', default: false },
      },
    });
    const maxUses = Number(values.uses);
    if (!Number.isInteger(maxUses) || maxUses < 1) throw new ConfigError([`--uses must be a whole number >= 1`]);
    const expiresInSeconds = parseDuration(values.expires);
    const token = await withDatabase(config, async ({ db, pool }) => {
      const service = new EnrollmentService(systemClock, new EnrollmentRepository(db, pool), new ConnectedHosts());
      const made = await service.createToken(
        { name: values.name, maxUses, expiresInSeconds, allowTakeover: values['allow-takeover'] },
        'command line',
      );
      await audit(db, 'CLI enroll-token', 'enrollment-token', made.id, { maxUses, expiresInSeconds });
      return made;
    });
    process.stderr.write(
      `enrollment token ${token.prefix}… for ${maxUses} agent(s), valid until ${token.expiresAt}` +
        `${token.allowTakeover ? ', may take over enrolled hosts' : ''}; give it to the agent as CORRAL_ENROLLMENT_TOKEN:\n`,
    );
    process.stdout.write(`${token.secret}\n`);
    return;
  }
  if (command === 'api-token') {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: { name: { type: 'string' }, role: { type: 'string' }, expires: { type: 'string' } },
    });
    const role = RoleSchema.safeParse(values.role);
    if (!values.name || !role.success)
      throw new ConfigError(['api-token needs --name NAME and --role viewer|operator|admin']);
    const expiresInSeconds = values.expires ? parseDuration(values.expires) : undefined;
    const token = await withDatabase(config, async ({ db, pool }) => {
      const service = new ApiTokenService(config, systemClock, new ApiTokenRepository(db, pool));
      const made = await service.create({ name: values.name!, role: role.data, expiresInSeconds }, 'command line');
      await audit(db, 'CLI api-token', 'token', made.id, { role: made.role });
      return made;
    });
    process.stderr.write(`API token ${token.prefix}… "${token.name}" with role ${token.role}:\n`);
    process.stdout.write(`${token.secret}\n`);
    return;
  }
  throw new ConfigError([`unknown command "${command}"`, CLI_USAGE]);
}
