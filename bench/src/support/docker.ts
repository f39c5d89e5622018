import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { execa } from 'execa';
import { sleep } from './stats.js';

// What the engines benchmark runs, and the labels that let a later run (or scripts/test-cleanup.sh)
// find and remove whatever a killed run left behind. Nothing without the label is touched.
export const BENCH_IMAGE = 'corral-test/busybox:latest';
export const BENCH_LABEL = 'corral.bench';
export const BENCH_LABEL_VALUE = 'engines';
export const RUN_LABEL = 'corral.bench.run';
export const BENCH_COMMAND = ['sleep', '3600'];

export const dockerSocket = () => process.env.CORRAL_DOCKER_SOCKET ?? '/var/run/docker.sock';

export function benchDocker(): Dockerode {
  return new Dockerode({ socketPath: dockerSocket(), timeout: 60_000 });
}

// A short id for one run's containers and services.
export const newRunId = () => randomBytes(4).toString('hex');

export function benchLabels(run: string): Record<string, string> {
  return { [BENCH_LABEL]: BENCH_LABEL_VALUE, [RUN_LABEL]: run };
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
  await Promise.all(
    ids.map((id) =>
      client
        .getContainer(id)
        .remove({ force: true, v: true })
        .catch((error: { statusCode?: number }) => {
          // Gone already, or being removed by its swarm service: either way on its way out.
          if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
        }),
    ),
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

// Watches docker for the moment `count` containers with `label` run; started before the work it times.
export class RunningWatch {
  private readonly started = performance.now();
  private stopped = false;
  private reached: number | null = null;
  private error: unknown = null;
  private readonly loop: Promise<void>;
  seen = 0;

  constructor(
    private readonly client: Dockerode,
    private readonly label: string,
    private readonly count: number,
    private readonly intervalMs = 100,
  ) {
    this.loop = this.run();
  }

  // Seconds from construction until `count` ran (null if stopped first).
  async done(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.reached === null && this.error === null && Date.now() < deadline) await sleep(20);
    this.stopped = true;
    await this.loop;
    if (this.error) throw this.error;
    if (this.reached === null) {
      throw new Error(`docker shows ${this.seen}/${this.count} running containers labelled ${this.label}`);
    }
    return this.reached;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.reached === null) {
      try {
        this.seen = (await labelled(this.client, this.label, true)).length;
        if (this.seen >= this.count) this.reached = (performance.now() - this.started) / 1000;
      } catch (error) {
        this.error = error;
        return;
      }
      await sleep(this.intervalMs);
    }
  }
}
