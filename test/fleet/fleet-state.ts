import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Everything a fleet made, written before and after each step, so that a teardown (even in a
// later process, after a crash) finds every pid, namespace, interface, directory and database.
export interface HostState {
  index: number;
  name: string;
  netns: string;
  rootVeth: string;
  // Third octet of 10.251.X.0/30 on the veth pair: .1 outside, .2 inside.
  octet: number;
  bridge: string;
  bridgeAddress: string;
  dir: string;
  lxcPath: string;
  leaseFile: string;
  docker: { socket: string; dataRoot: string; execRoot: string; bip: string } | null;
  pids: { agent?: number; dnsmasq?: number; dockerd?: number };
}

export interface ControllerState {
  pid?: number;
  port: number;
  logFile: string;
  databaseUrl: string | null;
  // A throwaway database the teardown drops (through adminUrl, not a proxy that may be gone).
  dropDatabase: { adminUrl: string; name: string } | null;
  dataDir: string | null;
}

export interface FleetState {
  tag: string;
  createdAt: string;
  ownerPid: number;
  // The owner (fleet:up) tears the fleet down itself on SIGTERM; other owners (tests) are not signalled.
  ownerStopsOnSigterm: boolean;
  dir: string;
  hosts: HostState[];
  controller: ControllerState | null;
  // Further controller replicas on the same database (the first is `controller`); absent before replicas.
  replicas?: ControllerState[];
  // Extra processes started for the fleet (e.g. a TCP proxy in another process), killed by pid.
  extraPids: number[];
}

export function stateDir(): string {
  return process.env.CORRAL_FLEET_STATE_DIR ?? '/run/corral-fleet';
}

export function stateFile(tag: string): string {
  return path.join(stateDir(), `${tag}.json`);
}

export function writeState(state: FleetState): void {
  mkdirSync(stateDir(), { recursive: true });
  const file = stateFile(state.tag);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

export function readState(tag: string): FleetState | null {
  const file = stateFile(tag);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as FleetState;
}

export function listStates(): FleetState[] {
  if (!existsSync(stateDir())) return [];
  return readdirSync(stateDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => readState(f.slice(0, -'.json'.length)))
    .filter((s): s is FleetState => s !== null);
}

export function removeState(tag: string): void {
  rmSync(stateFile(tag), { force: true });
}
