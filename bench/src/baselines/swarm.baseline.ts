import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import {
  BENCH_COMMAND,
  BENCH_IMAGE,
  BENCH_LABEL,
  BENCH_LABEL_VALUE,
  docker,
  engineCpuSeconds,
  lastStartedAt,
  RUN_LABEL,
  removeBenchContainers,
  waitGone,
  waitRunning,
} from '../support/docker.js';

export interface SwarmBaseline {
  replicas: number;
  // From `docker service create` until the last task container started (its State.StartedAt).
  seconds: number;
  // CPU of dockerd, containerd and the shims over the timed part (swarm's orchestration runs in dockerd).
  engineCpuSeconds: number;
  // `docker service rm` until its containers are gone (not timed against anything).
  removeSeconds: number;
  // Whether this run initialised the swarm (and so left it afterwards).
  initialised: boolean;
}

// Written before `docker swarm init` and removed after `docker swarm leave`: a swarm found with this file
// was made by a benchmark that did not finish, and is left again (here or by scripts/test-cleanup.sh).
// `gwbridge=created` says docker_gwbridge did not exist before, so it goes too.
export const SWARM_MARKER = path.join(
  process.env.CORRAL_BENCH_STATE_DIR ?? '/var/lib/corral-bench',
  'swarm-initialised',
);
const GWBRIDGE = 'docker_gwbridge';

const serviceLabel = `${BENCH_LABEL}=${BENCH_LABEL_VALUE}`;

async function swarmState(): Promise<{ state: string; manager: boolean }> {
  const out = await docker(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}']);
  const [state = '', manager = ''] = out.split(' ');
  return { state, manager: manager === 'true' };
}

async function networkExists(name: string): Promise<boolean> {
  const out = await docker(['network', 'ls', '--filter', `name=^${name}$`, '--format', '{{.Name}}']);
  return out.split('\n').includes(name);
}

// Leaves a swarm that a benchmark initialised, with its services and docker_gwbridge; no marker, no change.
export async function leaveBenchSwarm(): Promise<boolean> {
  if (!existsSync(SWARM_MARKER)) return false;
  const createdBridge = readFileSync(SWARM_MARKER, 'utf8').includes('gwbridge=created');
  const { state } = await swarmState();
  if (state === 'active') await docker(['swarm', 'leave', '--force'], 120_000);
  if (createdBridge && (await networkExists(GWBRIDGE))) {
    // Its task endpoints can take a moment to go after the leave.
    await retry(() => docker(['network', 'rm', GWBRIDGE]), 10, 500);
  }
  rmSync(SWARM_MARKER, { force: true });
  return true;
}

// Services a killed benchmark left in a swarm it did not initialise.
export async function removeBenchServices(client: Dockerode): Promise<number> {
  const { state, manager } = await swarmState();
  if (state !== 'active' || !manager) return 0;
  const ids = (await docker(['service', 'ls', '--quiet', '--filter', `label=${serviceLabel}`]))
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) {
    await docker(['service', 'rm', ...ids]);
    await waitGone(client, serviceLabel, 120_000);
  }
  return ids.length;
}

async function joinOrInit(): Promise<boolean> {
  const { state, manager } = await swarmState();
  if (state === 'active') {
    if (!manager)
      throw new Error('swarm baseline: this node is in a swarm but not a manager; it cannot create services');
    return false;
  }
  if (state !== 'inactive') {
    throw new Error(
      `swarm baseline: the node's swarm state is "${state}"; fix or leave it (docker swarm leave --force)`,
    );
  }
  const bridgeExisted = await networkExists(GWBRIDGE);
  mkdirSync(path.dirname(SWARM_MARKER), { recursive: true });
  writeFileSync(
    SWARM_MARKER,
    `initialisedAt=${new Date().toISOString()}\ngwbridge=${bridgeExisted ? 'existed' : 'created'}\n`,
  );
  try {
    await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1'], 120_000);
  } catch (error) {
    rmSync(SWARM_MARKER, { force: true });
    throw new Error(`swarm baseline: docker swarm init failed: ${(error as Error).message}`);
  }
  return true;
}

// Docker Swarm starting `replicas` tasks of the same image and command on this one node, timed from
// `docker service create` until docker started them all. Leaves the swarm again only if it made it.
export async function swarmBaseline(client: Dockerode, run: string, replicas: number): Promise<SwarmBaseline> {
  const initialised = await joinOrInit();
  const name = `corral-bench-${run}`;
  const runLabel = `${RUN_LABEL}=${run}`;
  try {
    const engineCpu = engineCpuSeconds();
    const started = Date.now();
    await docker(
      [
        'service',
        'create',
        '--name',
        name,
        '--replicas',
        String(replicas),
        '--no-resolve-image',
        '--detach',
        '--label',
        serviceLabel,
        '--container-label',
        serviceLabel,
        '--container-label',
        runLabel,
        // sleep as PID 1 ignores SIGTERM: without this each removal waits the default 10 s.
        '--stop-grace-period',
        '1s',
        // So that its containers can be removed a few at a time, not replaced (see REMOVE_CONCURRENCY).
        '--restart-condition',
        'none',
        BENCH_IMAGE,
        ...BENCH_COMMAND,
      ],
      60_000,
    );
    await waitRunning(client, runLabel, replicas, 180_000);
    const engine = engineCpuSeconds() - engineCpu;
    const seconds = ((await lastStartedAt(client, runLabel)) - started) / 1000;
    const removeStarted = performance.now();
    // `docker service rm` would stop all 50 at once: a burst of exits like the one dockerd 20.10 can
    // deadlock on. The tasks are not restarted, so their containers go a few at a time first.
    await removeBenchContainers(client, runLabel);
    await docker(['service', 'rm', name]);
    await waitGone(client, runLabel, 120_000);
    const removeSeconds = (performance.now() - removeStarted) / 1000;
    return { replicas, seconds, engineCpuSeconds: engine, removeSeconds, initialised };
  } finally {
    await docker(['service', 'rm', name]).catch(() => undefined);
    if (initialised) await leaveBenchSwarm();
  }
}

async function retry<T>(fn: () => Promise<T>, attempts: number, delayMs: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
