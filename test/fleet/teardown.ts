import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { alive, FLEET_MARKER, signal, stopPid, waitGone } from './daemon.js';
import { type FleetState, type HostState, listStates, readState, removeState } from './fleet-state.js';
import { run, runIn, sleep } from './run.js';

export interface TeardownReport {
  tag: string;
  killed: number;
  problems: string[];
}

const listDir = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

const readText = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

export function netnsExists(ns: string): boolean {
  return existsSync(`/var/run/netns/${ns}`);
}

function processTable(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of listDir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest.length > 1) parents.set(Number(entry), Number(rest[1]));
  }
  return parents;
}

function withDescendants(pids: Set<number>): Set<number> {
  const parents = processTable();
  const all = new Set(pids);
  let grew = true;
  for (let round = 0; grew && round < 64; round++) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (all.has(ppid) && !all.has(pid)) {
        all.add(pid);
        grew = true;
      }
    }
  }
  return all;
}

// Processes carrying the fleet's marker variable, or naming one of its directories on their command
// line (dockerd's containerd and shims, lxc-start monitors, dnsmasq, embedded Postgres).
function markedPids(state: FleetState): Set<number> {
  const found = new Set<number>();
  const marker = `${FLEET_MARKER}=${state.tag}`;
  for (const entry of listDir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = readText(`/proc/${entry}/environ`).split('\0');
    const cmdline = readText(`/proc/${entry}/cmdline`).split('\0').join(' ');
    if (environ.includes(marker) || cmdline.includes(`${state.dir}/`)) found.add(Number(entry));
  }
  return found;
}

// Mount points of cgroup hierarchies (v1 controllers and/or the v2 tree).
function cgroupRoots(): string[] {
  return readText('/proc/self/mountinfo')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => {
      const dash = f.indexOf('-');
      return dash > 0 && (f[dash + 1] === 'cgroup' || f[dash + 1] === 'cgroup2');
    })
    .map((f) => f[4]!);
}

// Cgroups of the host's containers: LXC names its payload and monitor cgroups after the container
// (with -N appended on a clash), Docker puts each container under docker/<id>.
function containerCgroups(host: HostState): string[] {
  const lxcNames = listDir(host.lxcPath);
  const dockerIds = host.docker ? listDir(path.join(host.docker.dataRoot, 'containers')) : [];
  const found: string[] = [];
  for (const root of cgroupRoots()) {
    for (const entry of listDir(root)) {
      const m = /^lxc\.(payload|monitor)\.(.+?)(-\d+)?$/.exec(entry);
      if (m && lxcNames.includes(m[2]!)) found.push(path.join(root, entry));
    }
    for (const id of dockerIds) {
      const dir = path.join(root, 'docker', id);
      if (existsSync(dir)) found.push(dir);
    }
  }
  return found;
}

function cgroupPids(dir: string): number[] {
  const pids = readText(path.join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  for (const entry of listDir(dir)) {
    const sub = path.join(dir, entry);
    if (existsSync(path.join(sub, 'cgroup.procs'))) pids.push(...cgroupPids(sub));
  }
  return pids;
}

// Depth-first rmdir: a cgroup directory goes once it has no children and no processes.
function removeCgroup(dir: string): void {
  for (const entry of listDir(dir)) {
    const sub = path.join(dir, entry);
    if (existsSync(path.join(sub, 'cgroup.procs'))) removeCgroup(sub);
  }
  try {
    rmdirSync(dir);
  } catch {
    // Busy or already gone; the report below lists what is left.
  }
}

function mountsUnder(dir: string): string[] {
  return readText('/proc/self/mountinfo')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}

// Stops what is still answering, in order: agents, containers, daemons, the controller.
async function gracefulStop(state: FleetState, problems: string[]): Promise<void> {
  await Promise.all(state.hosts.map((h) => stopPid(h.pids.agent, 'SIGTERM', 5_000)));
  await Promise.all(
    state.hosts.map(async (h) => {
      if (h.docker && alive(h.pids.dockerd) && existsSync(h.docker.socket)) {
        const docker = (args: string[]) =>
          run('docker', ['-H', `unix://${h.docker!.socket}`, ...args], { timeoutMs: 30_000 });
        const ids = (await docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
        if (ids.length > 0) await docker(['rm', '-f', ...ids]).catch((err: Error) => problems.push(err.message));
      }
      if (netnsExists(h.netns)) {
        for (const name of listDir(h.lxcPath)) {
          await runIn(h.netns, 'lxc-stop', ['-P', h.lxcPath, '-n', name, '-k'], { timeoutMs: 20_000 }).catch(() => {});
          await runIn(h.netns, 'lxc-destroy', ['-P', h.lxcPath, '-n', name, '-f'], { timeoutMs: 30_000 }).catch(
            () => {},
          );
        }
      }
      await Promise.all([stopPid(h.pids.dnsmasq, 'SIGTERM', 5_000), stopPid(h.pids.dockerd, 'SIGTERM', 20_000)]);
    }),
  );
  await Promise.all([state.controller, ...(state.replicas ?? [])].map((c) => stopPid(c?.pid, 'SIGTERM', 30_000)));
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

// Tears down everything a fleet's state file records, whether its processes are alive, half-dead
// or gone: stops them gently, then kills whatever is left by pid, marker and cgroup, unmounts,
// removes cgroups, namespaces, interfaces, the throwaway database and the directories.
export async function teardownState(state: FleetState): Promise<TeardownReport> {
  const problems: string[] = [];
  await gracefulStop(state, problems).catch((err: Error) => problems.push(`graceful stop: ${err.message}`));

  const targets = new Set<number>(markedPids(state));
  for (const pid of state.extraPids) if (alive(pid)) targets.add(pid);
  for (const h of state.hosts) {
    for (const pid of Object.values(h.pids)) if (alive(pid)) targets.add(pid!);
    for (const cg of containerCgroups(h)) for (const pid of cgroupPids(cg)) targets.add(pid);
    if (netnsExists(h.netns)) {
      const pids = await run('ip', ['netns', 'pids', h.netns], { timeoutMs: 10_000 }).catch(() => '');
      for (const pid of pids.split('\n').filter(Boolean)) targets.add(Number(pid));
    }
  }
  for (const c of [state.controller, ...(state.replicas ?? [])]) if (alive(c?.pid)) targets.add(c!.pid!);
  targets.delete(process.pid);
  const doomed = [...withDescendants(targets)].filter((pid) => pid !== process.pid && alive(pid));
  for (const pid of doomed) signal(pid, 'SIGKILL');
  if (!(await waitGone(doomed, 15_000))) problems.push(`processes still alive: ${doomed.filter(alive).join(' ')}`);

  for (const mount of mountsUnder(state.dir)) {
    await run('umount', ['-l', mount], { timeoutMs: 10_000 }).catch((err: Error) => problems.push(err.message));
  }
  for (const h of state.hosts) {
    for (const cg of containerCgroups(h)) removeCgroup(cg);
    const leftCgroups = containerCgroups(h);
    if (leftCgroups.length > 0) problems.push(`cgroups left: ${leftCgroups.join(' ')}`);
    if (netnsExists(h.netns)) {
      await run('ip', ['netns', 'del', h.netns], { timeoutMs: 10_000 }).catch((err: Error) =>
        problems.push(err.message),
      );
    }
    // Deleting the namespace takes the veth pair with it (asynchronously); this covers a pair
    // whose inner end never reached the namespace.
    const linkExists = () =>
      run('ip', ['link', 'show', 'dev', h.rootVeth], { timeoutMs: 5_000 }).then(
        () => true,
        () => false,
      );
    for (let i = 0; i < 50 && (await linkExists()); i++) await sleep(100);
    if (await linkExists()) {
      await run('ip', ['link', 'del', h.rootVeth], { timeoutMs: 5_000 }).catch((err: Error) =>
        problems.push(err.message),
      );
    }
  }
  const drop = state.controller?.dropDatabase;
  if (drop) {
    await dropDatabase(drop.adminUrl, drop.name).catch((err: Error) =>
      problems.push(`drop database ${drop.name}: ${err.message}`),
    );
  }
  if (mountsUnder(state.dir).length === 0) rmSync(state.dir, { recursive: true, force: true });
  else problems.push(`left ${state.dir} in place: still mounted below it`);
  if (problems.length === 0) removeState(state.tag);
  return { tag: state.tag, killed: doomed.length, problems };
}

export async function teardownTag(tag: string): Promise<TeardownReport | null> {
  const state = readState(tag);
  return state ? teardownState(state) : null;
}

export async function teardownAll(): Promise<TeardownReport[]> {
  const reports: TeardownReport[] = [];
  for (const state of listStates()) reports.push(await teardownState(state));
  return reports;
}
