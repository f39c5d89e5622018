import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { AgentProcess } from '../support/agent-process.js';
import type { ControllerProcess } from '../support/controller-process.js';
import {
  BENCH_COMMAND,
  BENCH_IMAGE,
  BENCH_LABEL,
  benchDocker,
  benchLabels,
  newRunId,
  removeBenchContainers,
  requireDocker,
} from '../support/docker.js';
import { type Figure, figure, fmt, type ScenarioReport } from '../support/report.js';
import { sleep, summarizeWithFailures } from '../support/stats.js';

// The target: a change on a host (made on its engine, not through Corral) is visible in the API
// within 2 s, with the agent at its default intervals.
export const TARGET_MS = 2_000;
// A change not visible by then counts as never visible.
const GIVE_UP_MS = 60_000;
// How often the API is read while waiting for a change to show.
const POLL_MS = 20;
const LABEL_VALUE = 'visibility';
const NAME_PREFIX = 'corral-bench-vis-';

export type Runtime = 'docker' | 'lxc';
export type Op = 'create' | 'start' | 'stop' | 'remove';
export const OPS: Op[] = ['create', 'start', 'stop', 'remove'];

export interface VisibilityPlan {
  dockerRounds: number;
  lxcRounds: number;
  // Longest pause between two changes, so that changes fall at any point of the agent's poll cycle.
  maxPauseMs: number;
}

export function visibilityPlan(quick: boolean): VisibilityPlan {
  return quick
    ? { dockerRounds: 5, lxcRounds: 2, maxPauseMs: 1_000 }
    : { dockerRounds: 25, lxcRounds: 10, maxPauseMs: 2_500 };
}

export interface Sample {
  runtime: Runtime;
  op: Op;
  // From the engine call's return (the change is made) to the first API answer showing it; Infinity if never.
  ms: number;
}

interface ContainerRow {
  name: string;
  state: string;
  runtime: Runtime;
}

// The state the API shows once the change is visible; null: the container is gone.
const EXPECTED: Record<Runtime, Record<Op, string | null>> = {
  docker: { create: 'created', start: 'running', stop: 'exited', remove: null },
  lxc: { create: 'stopped', start: 'running', stop: 'stopped', remove: null },
};

// Polls the API from `since` until the container shows the state `op` leads to (or is gone).
async function visibleAfter(
  ctl: ControllerProcess,
  hostId: string,
  runtime: Runtime,
  name: string,
  op: Op,
  since: number,
): Promise<number> {
  const want = EXPECTED[runtime][op];
  const query = new URLSearchParams({ host: hostId, runtime, name, limit: '10' });
  while (performance.now() - since < GIVE_UP_MS) {
    const page = await ctl.get<{ items: ContainerRow[] }>(`/api/v1/containers?${query}`);
    const row = page.items.find((c) => c.name === name);
    const answeredAt = performance.now();
    if (want === null ? row === undefined : row?.state === want) return answeredAt - since;
    await sleep(POLL_MS);
  }
  return Number.POSITIVE_INFINITY;
}

const pause = (plan: VisibilityPlan) => sleep(Math.random() * plan.maxPauseMs);

async function dockerRound(
  ctl: ControllerProcess,
  agent: AgentProcess,
  plan: VisibilityPlan,
  run: string,
  i: number,
): Promise<Sample[]> {
  const client = benchDocker();
  const name = `${NAME_PREFIX}${run}-${i}`;
  const samples: Sample[] = [];
  const measure = async (op: Op, change: () => Promise<unknown>) => {
    await pause(plan);
    await change();
    const since = performance.now();
    samples.push({ runtime: 'docker', op, ms: await visibleAfter(ctl, agent.hostId, 'docker', name, op, since) });
  };
  const container = client.getContainer(name);
  await measure('create', () =>
    client.createContainer({ Image: BENCH_IMAGE, name, Cmd: BENCH_COMMAND, Labels: benchLabels(run, LABEL_VALUE) }),
  );
  await measure('start', () => container.start());
  // sleep as PID 1 ignores SIGTERM: kill at once rather than wait out docker's grace period.
  await measure('stop', () => container.stop({ t: 0 }));
  await measure('remove', () => container.remove());
  return samples;
}

async function lxc(args: string[], timeoutMs = 60_000): Promise<void> {
  await execa(args[0]!, args.slice(1), { timeout: timeoutMs });
}

async function lxcRound(
  ctl: ControllerProcess,
  agent: AgentProcess,
  plan: VisibilityPlan,
  run: string,
  i: number,
): Promise<Sample[]> {
  const name = `${NAME_PREFIX}${run}-lxc-${i}`;
  const at = ['-P', agent.lxcPath, '-n', name];
  const samples: Sample[] = [];
  const measure = async (op: Op, change: () => Promise<unknown>) => {
    await pause(plan);
    await change();
    const since = performance.now();
    samples.push({ runtime: 'lxc', op, ms: await visibleAfter(ctl, agent.hostId, 'lxc', name, op, since) });
  };
  try {
    await measure('create', () => lxc(['lxc-create', ...at, '-t', 'busybox'], 120_000));
    await measure('start', () => lxc(['lxc-start', ...at]));
    await measure('stop', () => lxc(['lxc-stop', ...at, '-k']));
    await measure('remove', () => lxc(['lxc-destroy', ...at]));
  } finally {
    await removeLxc(agent.lxcPath, name);
  }
  return samples;
}

// Stops and destroys one container if it is still there; a failure here is reported, not hidden.
async function removeLxc(lxcPath: string, name: string): Promise<void> {
  const listed = await execa('lxc-ls', ['-P', lxcPath, '-1'], { timeout: 30_000, reject: false });
  if (!listed.stdout.split('\n').includes(name)) return;
  await execa('lxc-stop', ['-P', lxcPath, '-n', name, '-k'], { timeout: 30_000, reject: false });
  await execa('lxc-destroy', ['-P', lxcPath, '-n', name, '-f'], { timeout: 60_000 });
}

// What a killed run left: labelled Docker containers, and LXC containers in the bench agents' lxcpaths.
async function removeLeftovers(): Promise<void> {
  const docker = await removeBenchContainers(benchDocker(), `${BENCH_LABEL}=${LABEL_VALUE}`);
  if (docker > 0) console.log(`  visibility: removed ${docker} container(s) a killed benchmark left`);
  for (const dir of readdirSync(os.tmpdir()).filter((d) => d.startsWith('corral-bench-lxc-'))) {
    const lxcPath = path.join(os.tmpdir(), dir);
    const listed = await execa('lxc-ls', ['-P', lxcPath, '-1'], { timeout: 30_000, reject: false });
    const names = listed.stdout.split('\n').filter((n) => n.startsWith(NAME_PREFIX));
    for (const name of names) await removeLxc(lxcPath, name);
    if (names.length > 0) {
      console.log(`  visibility: removed ${names.length} LXC container(s) a killed benchmark left in ${lxcPath}`);
      await rm(lxcPath, { recursive: true, force: true });
    }
  }
}

async function requireLxc(): Promise<void> {
  const res = await execa('lxc-ls', ['--version'], { timeout: 10_000, reject: false });
  if (res.failed) throw new Error(`LXC is not installed (lxc-ls: ${res.message}): run scripts/engines-up.sh`);
}

type WithController = <T>(fn: (ctl: ControllerProcess) => Promise<T>) => Promise<T>;

export async function visibilityScenario(
  plan: VisibilityPlan,
  withController: WithController,
): Promise<ScenarioReport> {
  await requireDocker(benchDocker());
  if (plan.lxcRounds > 0) await requireLxc();
  await removeLeftovers();
  const run = newRunId();
  const samples = await withController(async (ctl) => {
    // Unset (empty) interval variables: the agent runs with its own defaults, as on a real host.
    const agent = await AgentProcess.start(ctl, { CORRAL_POLL_INTERVAL_MS: '', CORRAL_RESYNC_INTERVAL_MS: '' });
    const all: Sample[] = [];
    try {
      for (let i = 0; i < plan.dockerRounds; i++) all.push(...(await dockerRound(ctl, agent, plan, run, i)));
      console.log(`  visibility: docker ${line(all.filter((s) => s.runtime === 'docker'))}`);
      for (let i = 0; i < plan.lxcRounds; i++) all.push(...(await lxcRound(ctl, agent, plan, run, i)));
      if (plan.lxcRounds > 0) console.log(`  visibility: lxc ${line(all.filter((s) => s.runtime === 'lxc'))}`);
      return all;
    } catch (error) {
      console.error(`agent output (last lines):\n${agent.tail()}`);
      throw error;
    } finally {
      await removeBenchContainers(benchDocker(), `${BENCH_LABEL}=${LABEL_VALUE}`).catch((error: Error) =>
        console.error(`visibility: could not remove its containers: ${error.message}`),
      );
      await agent.stop();
    }
  });
  return visibilityReport(plan, samples);
}

const summaryOf = (samples: Sample[]) =>
  summarizeWithFailures(
    samples.filter((s) => Number.isFinite(s.ms)).map((s) => s.ms),
    samples.filter((s) => !Number.isFinite(s.ms)).length,
  );

function line(samples: Sample[]): string {
  const s = summaryOf(samples);
  return `${s.count} changes, p50 ${fmt(s.p50, 'ms')}, p99 ${fmt(s.p99, 'ms')}, max ${fmt(s.max, 'ms')}`;
}

// p99 of every change within 2 s is the verdict; each runtime and change is shown beside it.
export function visibilityReport(plan: VisibilityPlan, samples: Sample[]): ScenarioReport {
  const judged = (name: string, of: Sample[]): Figure => {
    const s = summaryOf(of);
    const never = of.filter((x) => !Number.isFinite(x.ms)).length;
    return figure(name, s.p99, 'ms', {
      target: of.length > 0 ? { text: `p99 <= ${TARGET_MS} ms`, met: s.p99 <= TARGET_MS } : undefined,
      note:
        `${of.length} changes: p50 ${fmt(s.p50, 'ms')}, max ${fmt(s.max, 'ms')}` +
        (never > 0 ? `, ${never} never visible within ${GIVE_UP_MS / 1000} s` : ''),
    });
  };
  const figures: Figure[] = [judged('engine change -> visible in the API, every change, p99', samples)];
  for (const runtime of ['docker', 'lxc'] as const) {
    for (const op of OPS) {
      const of = samples.filter((s) => s.runtime === runtime && s.op === op);
      if (of.length > 0) figures.push(judged(`${runtime} ${op} -> visible, p99`, of));
    }
  }
  return {
    scenario: 'visibility',
    params: {
      dockerRounds: plan.dockerRounds,
      lxcRounds: plan.lxcRounds,
      agentIntervals: 'defaults',
      pollApiEveryMs: POLL_MS,
    },
    figures,
    details: { samples },
  };
}
