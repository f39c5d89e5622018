import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Config } from './config/config.js';
import { runningEmbeddedPostgresUrl, startEmbeddedPostgres } from './database/embedded-postgres.js';
import { createKysely, type Db } from './database/kysely.js';
import { applyMigrations, defaultMigrationsDir } from './database/migrator.js';
import { createPgPool } from './database/pg-pool.js';
import { CreateApiTokenSchema, CreateEnrollmentTokenSchema, RoleSchema } from './dtos/auth.dto.js';
import type { JsonValue } from './generated/kysely/db.js';
import { ApiTokenRepository } from './repositories/api-token.repository.js';
import { AuditRepository } from './repositories/audit.repository.js';
import { systemClock } from './repositories/clock.repository.js';
import { EnrollmentRepository } from './repositories/enrollment.repository.js';
import { ApiTokenService, toApiTokenDto } from './services/api-token.service.js';
import { ConnectedHosts } from './services/connected-hosts.js';
import { EnrollmentService } from './services/enrollment.service.js';
import { NotFoundError } from './services/errors.js';

export const CLI_USAGE = `usage: npm run controller -- <command>
  (no command)                 run the controller
  enroll-token [--uses N] [--expires 1h] [--name NAME] [--allow-takeover]
                               print a new agent enrollment token (CORRAL_ENROLLMENT_TOKEN)
  api-token --name NAME --role viewer|operator|admin [--expires 30d]
                               print a new API token
  api-token --revoke ID        revoke an API token (its id: GET /api/v1/tokens, or shown when made)
They work on the configured database (DATABASE_URL, or the embedded one in CORRAL_DATA_DIR),
whether the controller runs or not. The secret goes to stdout alone; details go to stderr.
Exit code 0: done; 2: a usage mistake (nothing was written); 1: it could not be done.`;

// A mistake in the command line itself: main() prints it with the usage and exits with 2.
export class UsageError extends Error {}

const stderrLogger = {
  log: (message: string) => process.stderr.write(`${message}\n`),
  warn: (message: string) => process.stderr.write(`warning: ${message}\n`),
};

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

// "90", "90s", "30m", "1h", "7d" -> seconds.
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new UsageError(`"${text}" is not a duration; use e.g. 90s, 30m, 1h or 7d`);
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
}

// node:util parseArgs with its errors (unknown option, missing value, stray argument) as usage errors.
function parseFlags<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    // Node's text goes on about `--` for positionals starting with a dash; the first sentence says it.
    throw new UsageError(`${command}: ${(err as Error).message.split('. ')[0]}`);
  }
}

// Checks what the flags make against the API's own schema, naming the flag and the value given.
function checked<T>(
  schema: z.ZodType<T>,
  input: unknown,
  flags: Record<string, [flag: string, given: string | undefined, unit?: string]>,
): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const [flag, given, unit] = flags[String(issue.path[0])] ?? [String(issue.path[0]), ''];
    return `${flag} "${given ?? ''}": ${issue.message}${unit ? ` ${unit}` : ''}`;
  });
  throw new UsageError(problems.join('\n'));
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new UsageError(`${flag} "${text}": ${(err as Error).message.replace(`"${text}" is `, '')}`);
  }
}

function audit({ db, pool }: CliDatabase, action: string, targetKind: string, targetId: string, detail: JsonValue) {
  return new AuditRepository(db, pool).insert([
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

const ROLE_HINT = 'must be viewer, operator or admin';

async function enrollToken(config: Config, args: string[]): Promise<void> {
  const { values } = parseFlags('enroll-token', () =>
    parseArgs({
      args,
      strict: true,
      options: {
        uses: { type: 'string', default: '1' },
        expires: { type: 'string', default: '1h' },
        name: { type: 'string' },
        'allow-takeover': { type: 'boolean', default: false },
      },
    }),
  );
  const uses = /^\d+$/.test(values.uses) ? Number(values.uses) : Number.NaN;
  if (Number.isNaN(uses)) throw new UsageError(`--uses "${values.uses}": must be a whole number`);
  const input = checked(
    CreateEnrollmentTokenSchema,
    {
      name: values.name,
      maxUses: uses,
      expiresInSeconds: duration('--expires', values.expires),
      allowTakeover: values['allow-takeover'],
    },
    {
      name: ['--name', values.name],
      maxUses: ['--uses', values.uses],
      expiresInSeconds: ['--expires', values.expires, 'seconds'],
    },
  );
  const token = await withDatabase(config, async ({ db, pool }) => {
    const service = new EnrollmentService(systemClock, new EnrollmentRepository(db, pool), new ConnectedHosts());
    const made = await service.createToken(input, 'command line');
    await audit({ db, pool }, 'CLI enroll-token', 'enrollment-token', made.id, {
      maxUses: input.maxUses,
      expiresInSeconds: input.expiresInSeconds,
    });
    return made;
  });
  process.stderr.write(
    `enrollment token ${token.prefix}… (id ${token.id}) for ${token.maxUses} agent(s), valid until ${token.expiresAt}` +
      `${token.allowTakeover ? ', may take over enrolled hosts' : ''}; give it to the agent as CORRAL_ENROLLMENT_TOKEN:\n`,
  );
  process.stdout.write(`${token.secret}\n`);
}

async function apiToken(config: Config, args: string[]): Promise<void> {
  const { values } = parseFlags('api-token', () =>
    parseArgs({
      args,
      strict: true,
      options: {
        name: { type: 'string' },
        role: { type: 'string' },
        expires: { type: 'string' },
        revoke: { type: 'string' },
      },
    }),
  );
  if (values.revoke !== undefined) {
    if (values.name !== undefined || values.role !== undefined || values.expires !== undefined) {
      throw new UsageError('api-token: --revoke goes alone (no --name, --role or --expires)');
    }
    const id = checked(
      z.object({ id: z.guid('must be a token id (a UUID)') }),
      { id: values.revoke },
      {
        id: ['--revoke', values.revoke],
      },
    ).id;
    await revokeApiToken(config, id);
    return;
  }
  if (values.name === undefined) throw new UsageError('api-token needs --name NAME and --role viewer|operator|admin');
  if (!RoleSchema.safeParse(values.role).success) throw new UsageError(`--role "${values.role ?? ''}": ${ROLE_HINT}`);
  const input = checked(
    CreateApiTokenSchema,
    {
      name: values.name,
      role: values.role,
      expiresInSeconds: values.expires === undefined ? undefined : duration('--expires', values.expires),
    },
    {
      name: ['--name', values.name],
      role: ['--role', values.role],
      expiresInSeconds: ['--expires', values.expires, 'seconds'],
    },
  );
  const token = await withDatabase(config, async ({ db, pool }) => {
    const service = new ApiTokenService(config, systemClock, new ApiTokenRepository(db, pool));
    const made = await service.create(input, 'command line');
    await audit({ db, pool }, 'CLI api-token', 'token', made.id, { role: made.role });
    return made;
  });
  process.stderr.write(`API token ${token.prefix}… "${token.name}" (id ${token.id}) with role ${token.role}:\n`);
  process.stdout.write(`${token.secret}\n`);
}

// A running controller that remembers the token stops accepting it within its 2 s token cache.
async function revokeApiToken(config: Config, id: string): Promise<void> {
  const outcome = await withDatabase(config, async ({ db, pool }) => {
    const repo = new ApiTokenRepository(db, pool);
    const before = await repo.findById(id);
    if (!before) throw new NotFoundError(`no API token with id ${id}`);
    if (before.revokedAt) return { token: toApiTokenDto(before), already: true };
    const token = await new ApiTokenService(config, systemClock, repo).revoke(id);
    await audit({ db, pool }, 'CLI api-token --revoke', 'token', id, { name: token.name });
    return { token, already: false };
  });
  const { token, already } = outcome;
  process.stderr.write(
    already
      ? `API token ${token.prefix}… "${token.name}" was already revoked on ${token.revokedAt}\n`
      : `API token ${token.prefix}… "${token.name}" revoked; running controllers refuse it within 2 s\n`,
  );
}

export async function runCli(config: Config, argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${CLI_USAGE}\n`);
    return;
  }
  if (command === 'enroll-token') return enrollToken(config, rest);
  if (command === 'api-token') return apiToken(config, rest);
  throw new UsageError(`unknown command "${command}"`);
}
