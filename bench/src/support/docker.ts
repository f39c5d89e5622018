import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import Dockerode from 'dockerode';
import { execa } from 'execa';
import { clockTicks } from './proc.js';
import { sleep, timedPool } from './stats.js';

// What the engines benchmark runs, and the labels that let a later run (or scripts/test-cleanup.sh)
// find and remove whatever a killed run left behind. Nothing without the label is touched.
export const BENCH_IMAGE = 'corral-test/busybox:latest';
export const BENCH_LABEL = 'corral.bench';
export const BENCH_LABEL_VALUE = 'engines';
export const RUN_LABEL = 'corral.bench.run';
export const BENCH_COMMAND = ['sleep', '3600'];
// Removals in flight. dockerd 20.10 (Debian's 20.10.24 here) can deadlock in libnetwork when many
// containers exit at once (moby/moby#46661, getSvcRecords against processEndpointDelete): after that
// every start, stop and removal hangs until dockerd is restarted. Removing a few at a time keeps
// the teardown of 50 containers from being such a burst.
export const REMOVE_CONCURRENCY = 4;

export const dockerSocket = () => process.env.CORRAL_DOCKER_SOCKET ?? '/var/run/docker.sock';

export function benchDocker(): Dockerode {
  return new Dockerode({ socketPath: dockerSocket(), timeout: 60_000 });
}

// A short id for one run's containers and services.
export const newRunId = () => randomBytes(4).toString('hex');

export function benchLabels(run: string, scenario = BENCH_LABEL_VALUE): Record<string, string> {
  return { [BENCH_LABEL]: scenario, [RUN_LABEL]: run };
}

export class DockerCliError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(
      `docker ${args.join(' ')} failed (exit ${exitCode ?? '?'}): ${stderr.trim().split('\n').slice(-3).join(' ')}`,
    );
    this.name = 'DockerCliError';
  }
}

// The docker CLI, for what dockerode does not cover as plainly (swarm); stdout trimmed.
export async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  const res = await execa('docker', args, { timeout: timeoutMs, reject: false });
  if (res.failed) throw new DockerCliError(args, res.exitCode, res.stderr || (res.message ?? ''));
  return res.stdout.trim();
}

// Fails with what to do when there is no engine or no image: under CI a missing engine is a failure.
export async function requireDocker(client: Dockerode): Promise<void> {
  try {
    await client.ping();
  } catch (error) {
    throw new Error(
      `docker is not reachable at ${dockerSocket()} (${(error as Error).message}): run scripts/engines-up.sh`,
    );
  }
  try {
    await client.getImage(BENCH_IMAGE).inspect();
  } catch {
    throw new Error(`image ${BENCH_IMAGE} is missing: run scripts/engines-up.sh (it imports it; never pull)`);
  }
}

// Ids of containers carrying `label` (key=value), running only or all of them.
export async function labelled(client: Dockerode, label: string, runningOnly = false): Promise<string[]> {
  const filters: Record<string, string[]> = { label: [label] };
  if (runningOnly) filters.status = ['running'];
  const list = await client.listContainers({ all: !runningOnly, filters });
  return list.map((c) => c.Id);
}

// Force-removes every container a benchmark labelled (a killed run's leftovers); returns how many.
export async function removeBenchContainers(client: Dockerode, label = `${BENCH_LABEL}=${BENCH_LABEL_VALUE}`) {
  const ids = await labelled(client, label);
  await timedPool(
    ids.length,
    REMOVE_CONCURRENCY,
    (i) =>
      client
        .getContainer(ids[i]!)
        .remove({ force: true, v: true })
        .catch((error: { statusCode?: number }) => {
          // Gone already, or being removed by its swarm service: either way on its way out.
          if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
        }),
    300_000,
  );
  return ids.length;
}

// Polls until no container carries `label`, or fails after `timeoutMs`.
export async function waitGone(client: Dockerode, label: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await labelled(client, label);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${left.length} container(s) labelled ${label} still exist`);
    await sleep(200);
  }
}

// Polls docker (gently: the engine is busy starting them) until `count` containers with `label` run.
export async function waitRunning(
  client: Dockerode,
  label: string,
  count: number,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = (await labelled(client, label, true)).length;
    if (running >= count) return;
    if (Date.now() > deadline) throw new Error(`docker shows ${running}/${count} running containers labelled ${label}`);
    await sleep(intervalMs);
  }
}

// When docker says the last of the containers with `label` started (epoch ms, from State.StartedAt):
// a polling-free end time, so that watching does not load the engine it times.
export async function lastStartedAt(client: Dockerode, label: string): Promise<number> {
  const ids = await labelled(client, label);
  let last = 0;
  for (const id of ids) {
    const started = Date.parse((await client.getContainer(id).inspect()).State.StartedAt);
    if (!Number.isFinite(started) || started <= 0) throw new Error(`container ${id.slice(0, 12)} never started`);
    last = Math.max(last, started);
  }
  return last;
}

const ENGINE_COMMANDS = new Set([
  'dockerd',
  'containerd',
  'containerd-shim',
  'containerd-shim-runc-v2',
  'runc',
  'docker-proxy',
]);

// CPU seconds used so far by the Docker engine's processes (dockerd, containerd, the shims and what they
// waited for, runc included): what starting containers costs the machine, whoever asked.
export function engineCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!ENGINE_COMMANDS.has(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // exited while being read
    }
  }
  return ticks / clockTicks();
}
