import type Dockerode from 'dockerode';
import {
  BENCH_COMMAND,
  BENCH_IMAGE,
  benchLabels,
  engineCpuSeconds,
  RUN_LABEL,
  removeBenchContainers,
  waitGone,
} from '../support/docker.js';
import { timedPool } from '../support/stats.js';

export interface DockerodeBaseline {
  containers: number;
  concurrency: number;
  // First create until the last container inspects as running.
  seconds: number;
  // create + start + inspect of one container, ms.
  perContainerMs: number[];
  // CPU of dockerd, containerd and the shims over the timed part.
  engineCpuSeconds: number;
  removeSeconds: number;
}

// What a plain client does without Corral: create + start + inspect straight on the Docker socket,
// `concurrency` at a time. The containers are removed afterwards, outside the timing.
export async function dockerodeBaseline(
  client: Dockerode,
  run: string,
  containers: number,
  concurrency: number,
): Promise<DockerodeBaseline> {
  const labels = benchLabels(run);
  const runLabel = `${RUN_LABEL}=${run}`;
  try {
    const engineCpu = engineCpuSeconds();
    const started = performance.now();
    const perContainerMs = await timedPool(
      containers,
      concurrency,
      async (i) => {
        const container = await client.createContainer({
          name: `corral-bench-${run}-${i}`,
          Image: BENCH_IMAGE,
          Cmd: BENCH_COMMAND,
          Labels: labels,
        });
        await container.start();
        const info = await container.inspect();
        if (!info.State.Running) throw new Error(`${info.Name} is ${info.State.Status} right after start`);
      },
      180_000,
    );
    const seconds = (performance.now() - started) / 1000;
    const engine = engineCpuSeconds() - engineCpu;
    if (perContainerMs.length < containers) {
      throw new Error(`dockerode baseline: ${perContainerMs.length}/${containers} started within 180 s`);
    }
    const removeStarted = performance.now();
    await removeBenchContainers(client, runLabel);
    await waitGone(client, runLabel, 60_000);
    return {
      containers,
      concurrency,
      seconds,
      perContainerMs,
      engineCpuSeconds: engine,
      removeSeconds: (performance.now() - removeStarted) / 1000,
    };
  } finally {
    await removeBenchContainers(client, runLabel).catch(() => undefined);
  }
}
