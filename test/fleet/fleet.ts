import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fleetEnrollmentToken, registerAdminToken } from './fleet-api.js';
import { FleetController } from './fleet-controller.js';
import { FleetHost } from './fleet-host.js';
import { type FleetState, type HostState, listStates, stateDir, writeState } from './fleet-state.js';
import { run, sleep } from './run.js';
import { type TeardownReport, teardownState } from './teardown.js';

export const FLEET_IMAGE = 'corral-test/busybox:latest';
// Hosts listed in `sameSubnet` put their bridge on this one, so that addresses collide on purpose.
export const SHARED_SUBNET = '10.70.0.1/24';

export interface StartControllerOptions {
  // Default: a free port.
  port?: number;
  // Default: none, so the controller starts its embedded Postgres under the fleet's directory.
  databaseUrl?: string;
  // A throwaway database for the teardown to drop.
  dropDatabase?: { adminUrl: string; name: string };
  env?: Record<string, string>;
  // Controller replicas on the one database (needs databaseUrl), each with its own port, data dir
  // and CORRAL_REPLICA_ID r1..rN. Default 1.
  replicas?: number;
}

export interface FleetOptions {
  hosts: number;
  // The first `dockerHosts` hosts get their own dockerd.
  dockerHosts?: number;
  // 1-based host indexes whose bridges all use SHARED_SUBNET instead of 10.60.<i>.1/24.
  sameSubnet?: number[];
  tag?: string;
  // A running controller (listening on 0.0.0.0) for the agents, e.g. http://127.0.0.1:7070 ...
  controllerUrl?: string;
  // ... or one the fleet starts and stops.
  startController?: boolean | StartControllerOptions;
  // The 1-based replicas an agent's CORRAL_CONTROLLER_URL lists, in order, by 1-based host index
  // (default: the first replica only).
  agentReplicas?: (hostIndex: number) => number[];
  // Extra environment for every agent.
  agentEnv?: Record<string, string>;
  log?: (line: string) => void;
  // Set by fleet:up, which tears its fleet down on SIGTERM (so fleet:down may ask it to).
  ownerStopsOnSigterm?: boolean;
}

export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'corral') return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the repository root (package.json named corral)');
}

export function fleetBaseDir(): string {
  return process.env.CORRAL_FLEET_DIR ?? '/tmp/corral-fleet';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

// A simple cross-process lock (mkdir is atomic), bounded in time; a lock older than 60 s is stale.
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = path.join(stateDir(), '.lock');
  mkdirSync(stateDir(), { recursive: true });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const mtimeMs = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0;
      if (Date.now() - mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`could not take ${lock} in 30 s`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// Third octets of 10.251.X.0/30 that neither another fleet nor the root namespace uses.
async function freeOctets(count: number): Promise<number[]> {
  const used = new Set<number>();
  for (const s of listStates()) for (const h of s.hosts) used.add(h.octet);
  const addrs = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show'])) as { addr_info: { local: string }[] }[];
  for (const link of addrs) {
    for (const a of link.addr_info) {
      const m = /^10\.251\.(\d+)\./.exec(a.local);
      if (m) used.add(Number(m[1]));
    }
  }
  const free: number[] = [];
  for (let octet = 1; octet < 255 && free.length < count; octet++) if (!used.has(octet)) free.push(octet);
  if (free.length < count) throw new Error('no free 10.251.X.0/30 uplinks left');
  return free;
}

export class Fleet {
  constructor(
    readonly state: FleetState,
    readonly hosts: FleetHost[],
    readonly controllers: FleetController[],
    readonly apiUrl: string,
  ) {}

  // The first (or only) controller the fleet started.
  get controller(): FleetController | null {
    return this.controllers[0] ?? null;
  }

  // 1-based, as CORRAL_REPLICA_ID r1..rN.
  replica(index: number): FleetController {
    const c = this.controllers[index - 1];
    if (!c) throw new Error(`no replica ${index} in fleet ${this.tag}`);
    return c;
  }

  // An agent's CORRAL_CONTROLLER_URL naming these replicas in order ({gateway} filled in per host).
  agentUrl(replicas: number[]): string {
    return replicas.map((r) => `ws://{gateway}:${this.replica(r).state.port}/agent`).join(',');
  }

  get tag(): string {
    return this.state.tag;
  }

  // 1-based, as in the host names.
  host(index: number): FleetHost {
    const host = this.hosts[index - 1];
    if (!host) throw new Error(`no host ${index} in fleet ${this.tag}`);
    return host;
  }

  save(): void {
    writeState(this.state);
  }

  destroy(): Promise<TeardownReport> {
    return teardownState(this.state);
  }
}

export function destroyFleet(fleet: Fleet): Promise<TeardownReport> {
  return fleet.destroy();
}

function planHost(tag: string, dir: string, index: number, octet: number, opts: FleetOptions): HostState {
  const hostDir = path.join(dir, `h${index}`);
  const docker = index <= (opts.dockerHosts ?? 0);
  return {
    index,
    name: `corral-test-h${index}-${tag}`,
    netns: `corral-test-h${index}-${tag}`,
    rootVeth: `cf${tag}h${index}`,
    octet,
    bridge: 'cbr0',
    bridgeAddress: opts.sameSubnet?.includes(index) ? SHARED_SUBNET : `10.60.${index}.1/24`,
    dir: hostDir,
    lxcPath: path.join(hostDir, 'lxc'),
    leaseFile: path.join(hostDir, 'leases', 'dnsmasq.cbr0.leases'),
    docker: docker
      ? {
          socket: path.join(hostDir, 'docker.sock'),
          dataRoot: path.join(hostDir, 'docker'),
          execRoot: path.join(hostDir, 'dx'),
          bip: `172.31.${index}.1/24`,
        }
      : null,
    pids: {},
  };
}

// Builds N hosts as network namespaces, each with a bridge, dnsmasq, lxcpath, optional dockerd and
// its own agent, plus (optionally) the controller they report to. On any failure everything made
// so far is torn down before the error is thrown.
export async function createFleet(opts: FleetOptions): Promise<Fleet> {
  if (opts.hosts < 1 || opts.hosts > 50) throw new Error('hosts must be between 1 and 50');
  if ((opts.dockerHosts ?? 0) > opts.hosts) throw new Error('dockerHosts cannot exceed hosts');
  if (!opts.controllerUrl && !opts.startController) throw new Error('give controllerUrl or startController');
  const replicaCount = typeof opts.startController === 'object' ? (opts.startController.replicas ?? 1) : 1;
  if (replicaCount < 1 || replicaCount > 9) throw new Error('replicas must be between 1 and 9');
  if (replicaCount > 1 && !(opts.startController as StartControllerOptions).databaseUrl)
    throw new Error('replicas share a database: give startController.databaseUrl');
  const log = opts.log ?? (() => {});
  const tag = opts.tag ?? randomBytes(3).toString('hex');
  if (!/^[a-z0-9]{1,8}$/.test(tag)) throw new Error(`tag must be 1-8 lowercase letters or digits, got ${tag}`);
  const root = repoRoot();
  for (const app of ['controller', 'agent']) {
    if (!existsSync(path.join(root, `apps/${app}/dist/main.js`)))
      throw new Error(`apps/${app} is not built: run npm run build`);
  }
  const dir = path.join(fleetBaseDir(), tag);
  const state = await withLock(async () => {
    if (listStates().some((s) => s.tag === tag)) throw new Error(`a fleet tagged ${tag} is already recorded`);
    const octets = await freeOctets(opts.hosts);
    const s: FleetState = {
      tag,
      createdAt: new Date().toISOString(),
      ownerPid: process.pid,
      ownerStopsOnSigterm: opts.ownerStopsOnSigterm ?? false,
      dir,
      hosts: octets.map((octet, i) => planHost(tag, dir, i + 1, octet, opts)),
      controller: null,
      extraPids: [],
    };
    writeState(s);
    return s;
  });
  const save = () => writeState(state);

  try {
    for (const h of state.hosts) {
      for (const d of [h.dir, h.lxcPath, path.dirname(h.leaseFile), path.join(h.dir, 'agent')]) {
        mkdirSync(d, { recursive: true });
      }
    }
    const controllers: FleetController[] = [];
    let ports: number[];
    let adminToken = opts.agentEnv?.CORRAL_ADMIN_TOKEN ?? process.env.CORRAL_ADMIN_TOKEN;
    if (opts.startController) {
      const c = opts.startController === true ? {} : opts.startController;
      ports = [c.port ?? (await freePort())];
      while (ports.length < replicaCount) ports.push(await freePort());
      state.controller = {
        port: ports[0]!,
        logFile: path.join(dir, 'controller.log'),
        databaseUrl: c.databaseUrl ?? null,
        // The first replica drops it; the others only use it.
        dropDatabase: c.dropDatabase ?? null,
        dataDir: c.databaseUrl && replicaCount === 1 ? null : path.join(dir, 'controller-data'),
      };
      state.replicas = ports.slice(1).map((port, i) => ({
        port,
        logFile: path.join(dir, `controller-r${i + 2}.log`),
        databaseUrl: c.databaseUrl ?? null,
        dropDatabase: null,
        dataDir: path.join(dir, `controller-data-r${i + 2}`),
      }));
      save();
      adminToken = c.env?.CORRAL_ADMIN_TOKEN ?? adminToken ?? `crl_api_${randomBytes(32).toString('base64url')}`;
      const env: Record<string, string> = { ...c.env, CORRAL_ADMIN_TOKEN: adminToken };
      // Registry secrets sealed on one replica are opened on another: one key for all.
      if (replicaCount > 1) env.CORRAL_SECRET_KEY ??= randomBytes(32).toString('hex');
      for (const [i, s] of [state.controller, ...state.replicas].entries()) {
        const replicaEnv = replicaCount > 1 ? { ...env, CORRAL_REPLICA_ID: `r${i + 1}` } : env;
        controllers.push(new FleetController(s, tag, root, replicaEnv, save));
      }
    } else {
      ports = [Number(new URL(opts.controllerUrl!).port || 80)];
    }
    const apiUrl = controllers[0]?.baseUrl ?? opts.controllerUrl!.replace(/\/$/, '');
    if (adminToken)
      for (const url of [apiUrl, ...controllers.map((c) => c.baseUrl)]) registerAdminToken(url, adminToken);
    // Shared by every host's agent; the enrollment token is added once the controller is up.
    const agentEnv: Record<string, string> = { ...opts.agentEnv };
    delete agentEnv.CORRAL_ADMIN_TOKEN;

    let imageTar: string | null = null;
    if ((opts.dockerHosts ?? 0) > 0) {
      imageTar = path.join(dir, 'image.tar');
      await run('docker', ['save', '-o', imageTar, FLEET_IMAGE], { timeoutMs: 120_000 });
    }
    const agentUrl = (index: number) =>
      (opts.agentReplicas?.(index) ?? [1])
        .map((r) => {
          if (r < 1 || r > ports.length) throw new Error(`host ${index}: no replica ${r}`);
          return `ws://{gateway}:${ports[r - 1]}/agent`;
        })
        .join(',');
    const hosts = state.hosts.map(
      (h) =>
        new FleetHost(h, tag, save, {
          controllerUrl: agentUrl(h.index),
          repoRoot: root,
          env: agentEnv,
        }),
    );
    const started = Date.now();
    await Promise.all([
      ...controllers.map((c) => c.start()),
      ...hosts.map(async (host) => {
        await host.createNetwork();
        await host.startDnsmasq();
        if (imageTar) await host.startDockerd(imageTar);
        await host.routeContainers();
        log(
          `${host.name}: namespace, ${host.state.bridge} ${host.state.bridgeAddress}, dnsmasq${host.hasDocker ? ', dockerd' : ''} ready`,
        );
      }),
    ]);
    if (!agentEnv.CORRAL_ENROLLMENT_TOKEN) {
      if (!adminToken)
        throw new Error('set CORRAL_ADMIN_TOKEN (or CORRAL_ENROLLMENT_TOKEN) for an external controller');
      // One token for all: each agent spends a use on its first start and keeps its credential.
      agentEnv.CORRAL_ENROLLMENT_TOKEN = await fleetEnrollmentToken(apiUrl, adminToken, hosts.length);
    }
    for (const host of hosts) host.startAgent();
    log(`fleet ${tag}: ${hosts.length} hosts up in ${Date.now() - started} ms`);
    return new Fleet(state, hosts, controllers, apiUrl);
  } catch (err) {
    const report = await teardownState(state);
    const extra = report.problems.length ? `\n(teardown problems: ${report.problems.join('; ')})` : '';
    throw new Error(`${(err as Error).message}${extra}`);
  }
}
