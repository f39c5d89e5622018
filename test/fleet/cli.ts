import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { alive, signal } from './daemon.js';
import { createFleet, type Fleet } from './fleet.js';
import { FleetApi } from './fleet-api.js';
import { listStates, readState } from './fleet-state.js';
import { sleep, until } from './run.js';
import { type TeardownReport, teardownState } from './teardown.js';

const say = (line: string) => process.stdout.write(`[fleet] ${line}\n`);

class UsageError extends Error {}

const USAGE = `usage:
  npm run fleet:up -- [--hosts N] [--docker-hosts M] [--port P] [--same-subnet I,J] [--tag T]
  npm run fleet:down [-- --tag T]`;

function parseFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new UsageError('');
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument ${arg}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    flags.set(m[1]!, value);
  }
  return flags;
}

function intFlag(flags: Map<string, string>, name: string, def: number, min: number, max: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

function printReport(report: TeardownReport): void {
  const problems = report.problems.length ? `; problems: ${report.problems.join('; ')}` : '';
  say(`fleet ${report.tag} torn down (${report.killed} process(es) were still running)${problems}`);
}

function printFleet(fleet: Fleet, api: FleetApi): void {
  const url = api.baseUrl.replace('127.0.0.1', 'localhost');
  say(
    `fleet ${fleet.tag} is up: controller ${api.baseUrl} (pid ${fleet.controller?.pid}, log ${fleet.controller?.state.logFile})`,
  );
  for (const h of fleet.hosts) {
    const s = h.state;
    const docker = s.docker ? `docker -H unix://${s.docker.socket}` : 'no docker';
    say(`  ${s.name}  uplink ${h.uplinkAddress}  ${s.bridge} ${s.bridgeAddress}  agent pid ${s.pids.agent}`);
    say(`      ${docker}`);
    say(`      lxc: nsenter --net=/var/run/netns/${s.netns} lxc-ls -f -P ${s.lxcPath}   leases: ${s.leaseFile}`);
  }
  const auth = api.headers.authorization;
  if (auth) say(`admin token: ${auth.slice('Bearer '.length)}`);
  say('try:');
  const curl = auth ? `curl -s -H 'Authorization: ${auth}'` : 'curl -s';
  say(`  ${curl} ${url}/api/v1/fleet/summary`);
  say(`  ${curl} '${url}/api/v1/hosts' | jq '.items[] | {hostname, status}'`);
  say(`  ${curl} '${url}/api/v1/containers?host=${fleet.hosts[0]!.name}'`);
  say(`  ${curl} '${url}/api/v1/leases?limit=20'`);
  say('Press Ctrl-C to tear the fleet down (or run npm run fleet:down elsewhere).');
}

async function up(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  const hosts = intFlag(flags, 'hosts', 3, 1, 20);
  const dockerHosts = intFlag(flags, 'docker-hosts', Math.min(2, hosts), 0, hosts);
  const port = intFlag(flags, 'port', Number(process.env.PORT ?? 7070), 1, 65535);
  const sameSubnet = (flags.get('same-subnet') ?? '')
    .split(',')
    .filter(Boolean)
    .map((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > hosts) throw new UsageError(`--same-subnet: ${v} is not a host index`);
      return n;
    });
  if (process.getuid?.() !== 0) throw new Error('a fleet needs root (namespaces, bridges, dockerd, LXC)');
  if (!(await portFree(port))) throw new Error(`port ${port} is in use; stop what listens there or pass --port`);
  const databaseUrl = process.env.DATABASE_URL || undefined;
  say(
    `starting a controller on 0.0.0.0:${port} (${databaseUrl ? 'DATABASE_URL' : 'embedded Postgres'}) and ${hosts} host(s), ${dockerHosts} with their own dockerd`,
  );
  const fleet = await createFleet({
    hosts,
    dockerHosts,
    sameSubnet,
    tag: flags.get('tag'),
    startController: { port, databaseUrl },
    log: say,
    ownerStopsOnSigterm: true,
  });
  let stopping = false;
  const stop = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: tearing the fleet down`);
    printReport(await fleet.destroy());
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (stopping) say('already tearing down; please wait');
      else void stop(0, sig);
    });
  }
  const api = new FleetApi(fleet.apiUrl);
  try {
    await until(
      'every host online',
      async () => {
        const online = (await api.hosts()).filter((h) => h.status === 'online' && h.facts);
        return fleet.hosts.every((fh) => online.some((h) => h.hostname === fh.name));
      },
      60_000,
      500,
    );
  } catch (err) {
    say(`${(err as Error).message}; agent log of ${fleet.hosts[0]!.name}:\n${fleet.hosts[0]!.agentLog(20)}`);
  }
  printFleet(fleet, api);
  // Stay in the foreground; a controller that dies takes the fleet down with it.
  for (;;) {
    await sleep(1_000);
    if (stopping) continue;
    if (!fleet.controller?.running) {
      await stop(1, `the controller exited (log: ${fleet.controller?.state.logFile})`);
    }
  }
}

// The pid still belongs to a fleet:up (pids get reused after a crash).
function isFleetUp(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('fleet.mjs');
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

async function down(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  const only = flags.get('tag');
  const states = listStates().filter((s) => !only || s.tag === only);
  if (states.length === 0) {
    say(only ? `no fleet ${only} recorded` : 'no fleet recorded; nothing to do');
    return 0;
  }
  let failed = 0;
  for (const state of states) {
    // A fleet whose `fleet:up` still runs is asked to tear itself down first.
    if (state.ownerStopsOnSigterm && state.ownerPid !== process.pid && isFleetUp(state.ownerPid)) {
      say(`asking pid ${state.ownerPid} (owner of fleet ${state.tag}) to stop`);
      signal(state.ownerPid, 'SIGTERM');
      await until('owner gone', () => !alive(state.ownerPid) || readState(state.tag) === null, 90_000, 250).catch(
        () => {},
      );
    }
    const left = readState(state.tag);
    if (!left) {
      say(`fleet ${state.tag} is gone`);
      continue;
    }
    const report = await teardownState(left);
    printReport(report);
    if (report.problems.length) failed++;
  }
  return failed ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'up') return await up(rest);
    if (command === 'down') return await down(rest);
    throw new UsageError(command ? `unknown command ${command}` : '');
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) process.stderr.write(`[fleet] ${err.message}\n`);
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`[fleet] error: ${(err as Error).message}\n`);
    return 1;
  }
}
