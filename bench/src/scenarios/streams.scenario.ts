import { spawn } from 'node:child_process';
import path from 'node:path';
import { type ContainerStreamConnection, CorralClient } from '@corral/client';
import * as pty from 'node-pty';
import { AgentProcess } from '../support/agent-process.js';
import { ControllerProcess } from '../support/controller-process.js';
import { BENCH_IMAGE, benchDocker, benchLabels, docker, newRunId, requireDocker } from '../support/docker.js';
import { REPO_ROOT } from '../support/paths.js';
import { cpuSeconds } from '../support/proc.js';
import { figure, type ScenarioReport } from '../support/report.js';
import { sleep, summarize } from '../support/stats.js';

const CLI = path.join(REPO_ROOT, 'apps/cli/dist/main.js');
const KEYSTROKE_TARGET_MS = 20;
const THROUGHPUT_TARGET = 0.5;

export interface StreamsPlan {
  keystrokes: number;
  outputMiB: number;
  openStreams: number;
}

export function streamsPlan(quick: boolean): StreamsPlan {
  return quick
    ? { keystrokes: 200, outputMiB: 32, openStreams: 100 }
    : { keystrokes: 1000, outputMiB: 256, openStreams: 100 };
}

// A shell in a pseudo-terminal, as a person would run it: once the remote shell answers (so the
// client's own terminal is raw and echoes nothing itself), each keystroke's echo by the shell in
// the container is timed.
async function keystrokes(file: string, args: string[], env: Record<string, string>, count: number): Promise<number[]> {
  const term = pty.spawn(file, args, {
    name: 'xterm',
    cols: 200,
    rows: 40,
    cwd: REPO_ROOT,
    env: { ...process.env, ...env } as Record<string, string>,
  });
  let seen = '';
  let waiter: (() => void) | null = null;
  term.onData((d) => {
    seen += d;
    waiter?.();
  });
  const appears = (text: string, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        waiter = null;
        resolve(false);
      }, timeoutMs);
      waiter = () => {
        if (!seen.includes(text)) return;
        clearTimeout(timer);
        waiter = null;
        resolve(true);
      };
      waiter();
    });
  try {
    // Only the shell in the container prints READY: what was typed reads RE""ADY.
    term.write('echo RE""ADY\r');
    if (!(await appears('READY', 30_000))) throw new Error(`${file} ${args.join(' ')}: no shell: ${seen.slice(-300)}`);
    await sleep(300);
    const times: number[] = [];
    const keys = 'abcdefghijklmnopqstuvwxyz';
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % 50 === 0) {
        // Ctrl-U: the line editor's line stays short.
        term.write('\x15');
        await sleep(50);
      }
      const ch = keys[i % keys.length]!;
      seen = '';
      const started = performance.now();
      term.write(ch);
      if (!(await appears(ch, 5_000))) throw new Error(`keystroke ${i} got no echo`);
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    term.kill('SIGKILL');
  }
}

// Bytes a command writes to its stdout, how long until it exits, and the CPU it used (sampled
// from /proc while it ran).
function drain(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ bytes: number; seconds: number; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let cpu = 0;
    const sampler = setInterval(() => {
      cpu = (child.pid && cpuSeconds(child.pid)) || cpu;
    }, 100);
    let bytes = 0;
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      clearInterval(sampler);
      if (code !== 0) reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${err.slice(-300)}`));
      else resolve({ bytes, seconds: (performance.now() - started) / 1000, cpuSeconds: cpu });
    });
  });
}

// Interactive exec through the controller and the agent beside `docker exec -it` on the same
// container: keystroke echo, output throughput, and the controller's memory with many streams open.
export async function streamsScenario(plan: StreamsPlan): Promise<ScenarioReport> {
  await requireDocker(benchDocker());
  // The RSS figure holds 100 streams open on the one admin token: above the default per-token cap.
  const ctl = await ControllerProcess.start({ env: { CORRAL_STREAMS_PER_TOKEN: String(plan.openStreams + 16) } });
  const agent = await AgentProcess.start(ctl).catch(async (error) => {
    await ctl.stop();
    throw error;
  });
  const run = newRunId();
  const name = `bench-streams-${run}`;
  const client = new CorralClient({ baseUrl: ctl.baseUrl, token: ControllerProcess.adminToken });
  const cliEnv = { CORRAL_URL: ctl.baseUrl, CORRAL_TOKEN: ControllerProcess.adminToken, NO_COLOR: '1' };
  const open: ContainerStreamConnection[] = [];
  try {
    const labels = Object.entries(benchLabels(run)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    await docker(['run', '-d', '--name', name, ...labels, BENCH_IMAGE, 'sleep', '3600']);
    await docker(
      ['exec', name, 'sh', '-c', `head -c ${plan.outputMiB * 1024 * 1024} /dev/urandom > /tmp/blob`],
      120_000,
    );
    // The agent reports the container before streams can name it.
    for (let i = 0; i < 100 && !(await client.container(name).catch(() => null)); i++) await sleep(100);

    const direct = summarize(await keystrokes('docker', ['exec', '-it', name, 'sh'], {}, plan.keystrokes));
    const corral = summarize(
      await keystrokes(process.execPath, [CLI, 'exec', '-it', name, 'sh'], cliEnv, plan.keystrokes),
    );

    const dockerCat = await drain('docker', ['exec', name, 'cat', '/tmp/blob']);
    const ctlCpu = ctl.cpuSecondsTotal();
    agent.cpu.begin();
    const corralCat = await drain(process.execPath, [CLI, 'exec', '-i', name, 'cat', '/tmp/blob'], cliEnv);
    const cpu = { controller: ctl.cpuSecondsTotal() - ctlCpu, agent: agent.cpu.seconds(), cli: corralCat.cpuSeconds };
    if (corralCat.bytes !== dockerCat.bytes)
      throw new Error(`corral passed ${corralCat.bytes} bytes, docker ${dockerCat.bytes}`);
    const mibps = (r: { bytes: number; seconds: number }) => r.bytes / 1024 / 1024 / r.seconds;

    // A client that reads nothing: the process is paused, the controller holds at most a window.
    const idleBefore = ctl.memory().rssBytes;
    const stalled = await client.execStream(
      name,
      { command: ['cat', '/tmp/blob'] },
      { onOutput: () => new Promise(() => {}) },
    );
    await sleep(3_000);
    const stalledGrowth = ctl.memory().rssBytes - idleBefore;
    stalled.close();

    const before = ctl.memory().rssBytes;
    for (let i = 0; i < plan.openStreams; i++) {
      open.push(await client.execStream(name, { command: ['cat'], stdin: true }, { onOutput: () => {} }));
    }
    await sleep(1_000);
    const withStreams = ctl.memory().rssBytes;
    for (const s of open.splice(0)) s.close();

    const ratio = mibps(corralCat) / mibps(dockerCat);
    return {
      scenario: 'streams',
      params: {
        ...plan,
        container: 'busybox: sh for keystrokes, cat for output',
        path: 'corral exec -it (CLI) -> controller -> agent -> docker exec',
      },
      figures: [
        figure('keystroke round trip p50', corral.p50, 'ms', {
          baseline: { name: 'docker exec -it p50', value: direct.p50, unit: 'ms', ratio: corral.p50 / direct.p50 },
        }),
        figure('keystroke round trip p99', corral.p99, 'ms', {
          target: { text: `<= ${KEYSTROKE_TARGET_MS} ms`, met: corral.p99 <= KEYSTROKE_TARGET_MS },
          baseline: { name: 'docker exec -it p99', value: direct.p99, unit: 'ms', ratio: corral.p99 / direct.p99 },
        }),
        figure('exec output throughput', mibps(corralCat), 'MiB/s', {
          target: { text: `>= ${THROUGHPUT_TARGET}x docker exec cat`, met: ratio >= THROUGHPUT_TARGET },
          baseline: { name: 'docker exec cat', value: mibps(dockerCat), unit: 'MiB/s', ratio },
          note: `${plan.outputMiB} MiB; CPU s: controller ${cpu.controller.toFixed(2)}, agent ${cpu.agent.toFixed(2)}, corral ${cpu.cli.toFixed(2)} over ${corralCat.seconds.toFixed(2)} s`,
        }),
        figure(`controller RSS with ${plan.openStreams} open streams`, withStreams / 1024 / 1024, 'MiB', {
          note: `${((withStreams - before) / 1024 / 1024).toFixed(1)} MiB more than with none`,
        }),
        figure('controller RSS growth, client reading nothing of a large output', stalledGrowth / 1024 / 1024, 'MiB', {
          note: 'the agent stops reading once the window is used up',
        }),
      ],
      details: { direct, corral, dockerCat, corralCat, cpu, before, withStreams, stalledGrowth },
    };
  } finally {
    for (const s of open) s.close();
    await docker(['rm', '-f', name]).catch(() => {});
    await agent.stop();
    await ctl.stop();
  }
}
