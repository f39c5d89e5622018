import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AgentProcess } from '../support/agent-process.js';
import type { ControllerProcess } from '../support/controller-process.js';
import { type Figure, figure, type ScenarioReport } from '../support/report.js';
import { summarize } from '../support/stats.js';

const run = promisify(execFile);

// Corral's pull may take this much longer than `docker pull` of the same image from the same registry.
const TARGET_RATIO = 1.1;
// The registry scripts/engines-up.sh runs (open, plain HTTP, on this machine's loopback).
const REGISTRY = '10.251.255.1:5510';

export interface PullPlan {
  rounds: number;
  layerMiB: number;
}

export function pullPlan(quick: boolean): PullPlan {
  return quick ? { rounds: 2, layerMiB: 32 } : { rounds: 5, layerMiB: 128 };
}

interface CommandRow {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
  result: { imageId?: string } | null;
}

const docker = async (args: string[], timeout = 600_000) =>
  (await run('docker', args, { timeout, maxBuffer: 16 * 1024 * 1024 })).stdout.trim();

// An image of one incompressible layer of `mib` MiB on top of the busybox test image, pushed once.
async function benchImage(mib: number): Promise<string> {
  const ref = `${REGISTRY}/corral/bench-pull:${mib}m`;
  const res = await fetch(`http://${REGISTRY}/v2/corral/bench-pull/manifests/${mib}m`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  }).catch(() => null);
  if (res?.ok) return ref;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'corral-bench-pull-'));
  try {
    await run('sh', ['-c', `head -c ${mib * 1024 * 1024} /dev/urandom > ${dir}/payload.bin`]);
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM corral-test/busybox:latest\nCOPY payload.bin /payload.bin\n');
    await run('docker', ['build', '-q', '-t', ref, dir], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      timeout: 600_000,
    });
    await docker(['push', '-q', ref]);
    await docker(['rmi', ref]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return ref;
}

async function removeLocal(ref: string): Promise<void> {
  const ids = await docker(['images', '-q', '--no-trunc', ref.replace(/:[^:/]+$/, '')]).catch(() => '');
  for (const id of new Set(ids.split('\n').filter(Boolean))) await docker(['rmi', '-f', id]).catch(() => undefined);
}

async function corralPull(ctl: ControllerProcess, hostId: string, reference: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${ctl.baseUrl}/api/v1/hosts/${hostId}/images/pull?wait=120`, {
    method: 'POST',
    headers: { ...ctl.authHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ reference }),
  });
  const row = (await res.json()) as CommandRow;
  const seconds = (performance.now() - started) / 1000;
  if (row.status !== 'succeeded') throw new Error(`pull ended ${row.status}: ${row.error?.message ?? res.status}`);
  return seconds;
}

type WithController = <T>(fn: (ctl: ControllerProcess) => Promise<T>) => Promise<T>;

// Pull time through Corral (API request until the command answered succeeded, the image in the
// inventory) beside `docker pull` of the same image from the same registry, each from nothing local
// but the shared base layer, alternating which goes first.
export async function pullScenario(plan: PullPlan, withController: WithController): Promise<ScenarioReport> {
  const ref = await benchImage(plan.layerMiB);
  const rounds: { docker: number; corral: number }[] = [];
  await withController(async (ctl) => {
    const agent = await AgentProcess.start(ctl);
    try {
      for (let r = 0; r < plan.rounds; r++) {
        const round = { docker: 0, corral: 0 };
        for (const which of r % 2 === 0 ? (['docker', 'corral'] as const) : (['corral', 'docker'] as const)) {
          await removeLocal(ref);
          if (which === 'docker') {
            const started = performance.now();
            await docker(['pull', '-q', ref]);
            round.docker = (performance.now() - started) / 1000;
          } else {
            round.corral = await corralPull(ctl, agent.hostId, ref);
          }
        }
        console.log(
          `  images round ${r + 1}/${plan.rounds}: docker pull ${round.docker.toFixed(2)} s, Corral ${round.corral.toFixed(2)} s`,
        );
        rounds.push(round);
      }
    } catch (error) {
      console.error(`agent output (last lines):\n${agent.tail()}`);
      throw error;
    } finally {
      await agent.stop();
      await removeLocal(ref);
    }
  });
  const corral = summarize(rounds.map((r) => r.corral)).p50;
  const base = summarize(rounds.map((r) => r.docker)).p50;
  const figures: Figure[] = [
    figure(`Corral: pull of a ${plan.layerMiB} MiB layer from a local registry`, corral, 's', {
      target: { text: `<= ${TARGET_RATIO}x docker pull`, met: corral <= base * TARGET_RATIO },
      baseline: { name: 'docker pull, same image and registry', value: base, unit: 's', ratio: corral / base },
      note: `medians of ${plan.rounds} rounds; runs Corral ${rounds.map((r) => r.corral.toFixed(2)).join(', ')}, docker ${rounds.map((r) => r.docker.toFixed(2)).join(', ')}`,
    }),
  ];
  return { scenario: 'images (pull)', params: { ...plan, registry: REGISTRY }, figures, details: { rounds } };
}
