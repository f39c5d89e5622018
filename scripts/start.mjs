// One-command first run: installs and builds when needed, then starts the controller (with
// embedded Postgres unless DATABASE_URL is set) and one agent for this machine.
// Usage: npm start [-- --no-agent]
// `npm start` runs `exec node scripts/start.mjs`, so the signals npm forwards (SIGINT, SIGTERM) reach
// this process, not a shell that would die and leave the children running; if npm itself disappears
// (SIGKILL), this process notices its parent changed and stops everything too.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { engineLines, probeEngines } from './lib/engines.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = { agent: 15_000, controller: 30_000 };
const PARENT_CHECK_MS = 500;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

// Each part: where its sources and build output live, and what `npm run build` must produce.
const parts = [
  { dir: 'packages/protocol', entry: 'dist/index.js', extraSources: [] },
  { dir: 'apps/controller', entry: 'dist/main.js', extraSources: ['prisma/schema.prisma'] },
  { dir: 'apps/agent', entry: 'dist/main.js', extraSources: [] },
];

function say(message) {
  process.stdout.write(`[start] ${message}\n`);
}

function fail(message) {
  process.stderr.write(`[start] error: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const options = { agent: true };
  for (const arg of argv) {
    if (arg === '--no-agent') options.agent = false;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm start [-- --no-agent]\n');
      process.exit(0);
    } else fail(`unknown option ${arg} (usage: npm start [-- --no-agent])`);
  }
  return options;
}

// Newest modification time under path (a file or a folder), skipping unit tests; 0 when absent.
function newestMtime(path, skip = () => false) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return skip(path) ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name), skip));
  return newest;
}

function staleParts() {
  const isSpec = (path) => path.endsWith('.spec.ts');
  const stale = [];
  for (const part of parts) {
    const base = join(root, part.dir);
    if (!existsSync(join(base, part.entry))) {
      stale.push(`${part.dir} (no ${part.entry})`);
      continue;
    }
    const sources = Math.max(
      newestMtime(join(base, 'src'), isSpec),
      newestMtime(join(base, 'package.json')),
      newestMtime(join(base, 'tsconfig.json')),
      ...part.extraSources.map((path) => newestMtime(join(root, path))),
    );
    // tsc -b may only touch its build info when the emitted files would not change.
    const built = Math.max(newestMtime(join(base, 'dist')), newestMtime(join(base, 'tsconfig.tsbuildinfo')));
    if (sources > built) stale.push(`${part.dir} (sources newer than dist)`);
  }
  return stale;
}

function npm(args, what) {
  say(`running npm ${args.join(' ')} (${what})`);
  const result = spawnSync('npm', args, { cwd: root, stdio: 'inherit', env: process.env });
  if (result.error) fail(`could not run npm: ${result.error.message}`);
  if (result.status !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.status}`;
    fail(`npm ${args.join(' ')} ${how}; fix the errors above and run npm start again`);
  }
}

function prepare() {
  if (!existsSync(join(root, 'node_modules'))) npm(['ci'], 'node_modules is missing');
  const stale = staleParts();
  if (stale.length > 0) {
    npm(['run', 'build'], `out of date: ${stale.join(', ')}`);
    const still = parts.filter((part) => !existsSync(join(root, part.dir, part.entry)));
    if (still.length > 0) {
      fail(`npm run build succeeded but did not produce ${still.map((p) => `${p.dir}/${p.entry}`).join(', ')}`);
    }
  }
}

function portInUse(port) {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', () => done(false));
  });
}

// Starts `node <entry>` in its own process group, so that a terminal Ctrl-C reaches only this
// script, which then stops the children in order.
function startChild(name, entry, env) {
  const child = spawn(process.execPath, [entry], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}] `;
  createInterface({ input: child.stdout }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
  createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`${prefix}${line}\n`));
  child.exited = new Promise((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', (error) => {
      process.stderr.write(`[start] error: could not start the ${name}: ${error.message}\n`);
      done({ code: null, signal: null });
    });
  });
  return child;
}

function running(child) {
  return Boolean(child?.pid) && child.exitCode === null && child.signalCode === null;
}

// SIGKILL goes to the whole process group: it also takes down what the child started (Postgres).
function killHard(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function describeExit({ code, signal }) {
  if (signal) return `killed by ${signal}`;
  return code === null ? 'did not start' : `exit code ${code}`;
}

async function stopChild(name, child) {
  if (!running(child)) return;
  say(`stopping the ${name}`);
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    process.stderr.write(`[start] the ${name} did not stop in ${STOP_TIMEOUT_MS[name] / 1000} s: killing it\n`);
    killHard(child);
  }, STOP_TIMEOUT_MS[name]);
  const exit = await child.exited;
  clearTimeout(timer);
  say(`${name} stopped (${describeExit(exit)})`);
}

async function waitReady(url, controller) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = null;
  controller.exited.then((exit) => {
    exited = exit;
  });
  while (Date.now() < deadline) {
    if (exited) return { ok: false, reason: `the controller exited during start-up (${describeExit(exited)})` };
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return { ok: true };
    } catch {
      // Not listening yet: keep polling until the deadline.
    }
    await new Promise((done) => setTimeout(done, 500));
  }
  return { ok: false, reason: `${url} did not answer 200 within ${READY_TIMEOUT_MS / 1000} s` };
}

// CORRAL_ADMIN_TOKEN when set; otherwise one made on the first run and kept in .corral/admin-token.
function adminToken() {
  if (process.env.CORRAL_ADMIN_TOKEN) return { token: process.env.CORRAL_ADMIN_TOKEN, source: 'CORRAL_ADMIN_TOKEN' };
  const file = join(root, '.corral', 'admin-token');
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return { token: readFileSync(file, 'utf8').trim(), source: file };
  }
  // Searchable but not listable: the embedded Postgres (its own user) must reach .corral/data below it;
  // the token file itself is 0600.
  mkdirSync(dirname(file), { recursive: true, mode: 0o711 });
  chmodSync(dirname(file), 0o711);
  const token = `crl_api_${randomBytes(32).toString('base64url')}`;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return { token, source: file };
}

// A one-use enrollment token for the local agent, made through the API with the admin token.
async function enrollmentToken(base, token) {
  const response = await fetch(`${base}/api/v1/enrollment-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'npm start: local agent', maxUses: 1, expiresInSeconds: 600 }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 201 || !body.secret) {
    throw new Error(
      `could not make an enrollment token for the agent (HTTP ${response.status}): ${body.message ?? ''}`,
    );
  }
  return body.secret;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const port = Number(process.env.PORT ?? 7070);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`PORT=${process.env.PORT} is not a port number`);

  prepare();

  if (process.getuid && process.getuid() !== 0) {
    process.stderr.write(
      '[start] warning: not running as root: the agent may be unable to read Docker, LXC or lease files ' +
        '(run `sudo npm start` for the full inventory)\n',
    );
  }
  // What the agent will be able to report, before anything starts: a missing engine is said once, here.
  if (options.agent) for (const line of engineLines(await probeEngines())) say(line);
  if (await portInUse(port)) fail(`port ${port} is already in use; stop what listens there or set PORT`);

  const children = { agent: null, controller: null };
  let stopping = false;
  let firstSignalAt = 0;

  // Never leave children behind if this script dies on an unexpected error.
  process.on('exit', () => {
    for (const child of [children.agent, children.controller]) if (running(child)) killHard(child);
  });

  const shutdown = async (code, reason) => {
    stopping = true;
    if (reason) process.stderr.write(`[start] ${reason}\n`);
    await stopChild('agent', children.agent);
    await stopChild('controller', children.controller);
    process.exit(code);
  };

  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (!stopping) {
        firstSignalAt = Date.now();
        say(`${signal}: shutting down (agent first, then the controller)`);
        shutdown(0);
        return;
      }
      // npm forwards the terminal's signal too: only a later, separate signal forces the stop.
      if (Date.now() - firstSignalAt < 1000) return;
      process.stderr.write('[start] second signal: killing the agent and the controller\n');
      process.exit(130);
    });
  }

  // npm gone (killed, or its shell died): nobody would ever send this process its stop signal.
  const parent = process.ppid;
  setInterval(() => {
    if (!stopping && process.ppid !== parent) {
      shutdown(1, `the process that started this one (pid ${parent}) is gone: stopping the agent and the controller`);
    }
  }, PARENT_CHECK_MS).unref();

  const admin = adminToken();
  // The controller reads a pipe here: it would write JSON lines; a person at this terminal gets text.
  const logFormat = process.env.CORRAL_LOG_FORMAT || (process.stdout.isTTY ? 'text' : 'auto');
  const env = { ...process.env, CORRAL_ADMIN_TOKEN: admin.token, CORRAL_LOG_FORMAT: logFormat };
  say(`starting the controller on port ${port}${env.DATABASE_URL ? '' : ' with embedded Postgres'}`);
  children.controller = startChild('controller', 'apps/controller/dist/main.js', env);
  children.controller.exited.then((exit) => {
    if (!stopping)
      shutdown(1, `error: the controller exited unexpectedly (${describeExit(exit)}); see its output above`);
  });

  const base = `http://127.0.0.1:${port}`;
  const ready = await waitReady(`${base}/readyz`, children.controller);
  if (stopping) return;
  if (!ready.ok) {
    await shutdown(1, `error: ${ready.reason}; see the controller output above`);
    return;
  }

  if (options.agent) {
    const stateDir = process.env.CORRAL_STATE_DIR ?? join(root, '.corral', 'agent');
    const agentEnv = {
      ...process.env,
      CORRAL_CONTROLLER_URL: `ws://127.0.0.1:${port}/agent`,
      CORRAL_STATE_DIR: stateDir,
    };
    delete agentEnv.CORRAL_ADMIN_TOKEN;
    // The first run enrolls the agent; from then on its state dir holds its own credential.
    if (!existsSync(join(stateDir, 'credential'))) {
      try {
        agentEnv.CORRAL_ENROLLMENT_TOKEN = await enrollmentToken(base, admin.token);
      } catch (error) {
        await shutdown(1, `error: ${error.message}`);
        return;
      }
    }
    say(`starting the agent (state in ${agentEnv.CORRAL_STATE_DIR})`);
    children.agent = startChild('agent', 'apps/agent/dist/main.js', agentEnv);
    children.agent.exited.then((exit) => {
      if (!stopping) {
        shutdown(1, `error: the agent exited unexpectedly (${describeExit(exit)}); see its output above`);
      }
    });
  }

  process.stdout.write(
    [
      '',
      `[start] Corral is running${options.agent ? ' with one agent for this machine' : ' (controller only)'}.`,
      `[start]   API      ${base}/api/v1`,
      `[start]   API docs ${base}/api/docs (OpenAPI JSON at ${base}/api/docs-json)`,
      `[start]   health   ${base}/healthz, ${base}/readyz`,
      `[start]   processes controller ${children.controller.pid}${children.agent ? `, agent ${children.agent.pid}` : ''}, this script ${process.pid}`,
      `[start]   admin token ${admin.token}`,
      `[start]            (${admin.source === 'CORRAL_ADMIN_TOKEN' ? 'from CORRAL_ADMIN_TOKEN' : `kept in ${admin.source}, mode 0600`})`,
      `[start]   try      export CORRAL_TOKEN=${admin.source === 'CORRAL_ADMIN_TOKEN' ? '"$CORRAL_ADMIN_TOKEN"' : `$(cat ${admin.source})`}`,
      `[start]            curl -s -H "Authorization: Bearer $CORRAL_TOKEN" localhost:${port}/api/v1/fleet/summary`,
      `[start]            curl -s -H "Authorization: Bearer $CORRAL_TOKEN" 'localhost:${port}/api/v1/containers?limit=20'`,
      '[start] Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`[start] error: ${error?.stack ?? error}\n`);
  process.exit(1);
});
