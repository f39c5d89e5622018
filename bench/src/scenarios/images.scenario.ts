import { spawn } from 'node:child_process';
import { CorralClient } from '@corral/client';
import { AgentProcess } from '../support/agent-process.js';
import { ControllerProcess } from '../support/controller-process.js';
import { BENCH_IMAGE, benchDocker, docker, newRunId, requireDocker } from '../support/docker.js';
import { figure, type ScenarioReport } from '../support/report.js';
import { sleep } from '../support/stats.js';

const COPY_TARGET = 0.7;
const MiB = 1024 * 1024;

export interface ImagesPlan {
  imageMiB: number;
  rounds: number;
}

export function imagesPlan(quick: boolean): ImagesPlan {
  return quick ? { imageMiB: 64, rounds: 2 } : { imageMiB: 256, rounds: 3 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// Copy throughput through the controller beside `docker save | docker load` piped on the same
// machine. Two agents report this machine's one Docker engine as two hosts, so both ways load
// into the engine that already holds the image: what differs is only the path of the archive
// (agent, HTTP to the controller, HTTP to the other agent) and the controller's part in it.
export async function imagesScenario(plan: ImagesPlan): Promise<ScenarioReport> {
  await requireDocker(benchDocker());
  const run = newRunId();
  const image = `corral-bench/copy-${run}:1`;
  const maker = `corral-bench-copy-${run}`;
  await docker(
    ['run', '--name', maker, BENCH_IMAGE, 'sh', '-c', `head -c ${plan.imageMiB * MiB} /dev/urandom > /blob`],
    300_000,
  );
  await docker(['commit', maker, image], 300_000);
  await docker(['rm', maker]);
  const ctl = await ControllerProcess.start();
  const agents: AgentProcess[] = [];
  try {
    agents.push(await AgentProcess.start(ctl), await AgentProcess.start(ctl));
    const [source, target] = agents as [AgentProcess, AgentProcess];
    const client = new CorralClient({ baseUrl: ctl.baseUrl, token: ControllerProcess.adminToken });
    const sizeBytes = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', image])).trim());
    // The archive's size, as the copy reports it (docker save adds a little to the layers).
    let archiveBytes = sizeBytes;
    let row: { id: string } | undefined;
    for (let i = 0; i < 100 && !row; i++) {
      const page = await client.call<{ items: { id: string }[] }>(
        'GET',
        `/api/v1/images?host=${source.hostname}&name=${encodeURIComponent(image)}`,
      );
      row = page.items[0];
      if (!row) await sleep(100);
    }
    if (!row) throw new Error(`${image} never showed on ${source.hostname}`);

    const direct: number[] = [];
    const corral: number[] = [];
    let peakRss = 0;
    const rssBefore = ctl.memory().rssBytes;
    for (let round = 0; round < plan.rounds; round++) {
      direct.push(await pipedSeconds(image));
      const started = performance.now();
      const answer = await client.call<{ copies: { command: { id: string } }[] }>(
        'POST',
        `/api/v1/images/${row.id}/copy`,
        { toHosts: [target.hostname] },
      );
      const id = answer.copies[0]!.command.id;
      for (;;) {
        peakRss = Math.max(peakRss, ctl.memory().rssBytes);
        const command = await client.call<{
          status: string;
          result: { bytes?: number } | null;
          error: { message: string } | null;
        }>('GET', `/api/v1/commands/${id}?wait=1`);
        if (command.status === 'succeeded') {
          archiveBytes = command.result?.bytes ?? archiveBytes;
          break;
        }
        if (['failed', 'canceled', 'timed_out'].includes(command.status)) {
          throw new Error(`copy ${id} ${command.status}: ${command.error?.message}`);
        }
      }
      corral.push((performance.now() - started) / 1000);
    }
    const directS = median(direct);
    const corralS = median(corral);
    const mibps = (s: number) => archiveBytes / MiB / s;
    const ratio = directS / corralS;
    return {
      scenario: 'images',
      params: { imageMiB: plan.imageMiB, rounds: plan.rounds, imageBytes: sizeBytes },
      figures: [
        figure('image copy through the controller', mibps(corralS), 'MiB/s', {
          target: { text: `>= ${COPY_TARGET} of docker save | docker load`, met: ratio >= COPY_TARGET },
          baseline: { name: 'docker save | docker load, piped', value: mibps(directS), unit: 'MiB/s', ratio },
          note: `median of ${plan.rounds}: ${corralS.toFixed(2)} s vs ${directS.toFixed(2)} s for ${(sizeBytes / MiB).toFixed(0)} MiB`,
        }),
        figure('controller RSS growth during copies', Math.max(0, peakRss - rssBefore) / MiB, 'MiB', {
          note: `RSS ${(rssBefore / MiB).toFixed(0)} MiB before, peak seen ${(peakRss / MiB).toFixed(0)} MiB`,
        }),
      ],
      details: { direct, corral },
    };
  } finally {
    for (const agent of agents) await agent.stop();
    await ctl.stop();
    await docker(['rmi', '-f', image]).catch(() => undefined);
  }
}

// `docker save IMAGE | docker load`, as a shell pipeline: seconds.
async function pipedSeconds(image: string): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', `docker save "$0" | docker load -q >/dev/null`, image], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker save | docker load: ${err}`))));
  });
  return (performance.now() - started) / 1000;
}
