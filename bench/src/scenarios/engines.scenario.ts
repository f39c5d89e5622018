import type Dockerode from 'dockerode';
import { type DockerodeBaseline, dockerodeBaseline } from '../baselines/dockerode.baseline.js';
import {
  leaveBenchSwarm,
  removeBenchServices,
  type SwarmBaseline,
  swarmBaseline,
} from '../baselines/swarm.baseline.js';
import { AgentProcess } from '../support/agent-process.js';
import type { ControllerProcess } from '../support/controller-process.js';
import {
  BENCH_COMMAND,
  BENCH_IMAGE,
  benchDocker,
  benchLabels,
  engineCpuSeconds,
  labelled,
  lastStartedAt,
  newRunId,
  REMOVE_CONCURRENCY,
  RUN_LABEL,
  removeBenchContainers,
  requireDocker,
} from '../support/docker.js';
import { PhaseMeter, type PhaseUsage } from '../support/phase.js';
import { type Figure, figure, type ScenarioReport } from '../support/report.js';
import { sleep, summarize, timedPool } from '../support/stats.js';

// Corral may take this much longer than the plain client, and no longer than Swarm.
const TARGET_DOCKERODE_RATIO = 1.2;
const TARGET_TEXT = 'no slower than Swarm and <= 1.2x dockerode';

export interface EnginesPlan {
  containers: number;
  // The plain dockerode client's calls in flight.
  baselineConcurrency: number;
  // Corral's API requests in flight: all of them at once by default, as fast as Corral can take them.
  clientConcurrency: number;
  rounds: number;
}

export function enginesPlan(quick: boolean, containers = 50): EnginesPlan {
  return { containers, baselineConcurrency: 8, clientConcurrency: containers, rounds: quick ? 1 : 3 };
}

interface CommandRow {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
  result: { id?: string } | null;
  createdAt: string;
  sentAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

interface ContainerRow {
  id: string;
  engineId: string;
  name: string;
  state: string;
}

export interface CorralRound {
  containers: number;
  // First request sent until every command answered succeeded (each result follows the delta showing it).
  resultsSeconds: number;
  // First request sent until the API lists every container as running (checked once the results are in).
  apiSeconds: number;
  // First request sent until the last container started, by docker's own State.StartedAt.
  dockerSeconds: number;
  // Per command, ms: the API request, and from the command's creation to the agent's accept and its end.
  requestMs: ReturnType<typeof summarize>;
  acceptedMs: ReturnType<typeof summarize>;
  finishedMs: ReturnType<typeof summarize>;
  removeSeconds: number;
  // Over the timed part: the agent, the Docker engine (dockerd, containerd, shims), and the controller,
  // its Postgres backends and everything else on the machine (usage).
  agentCpuSeconds: number;
  engineCpuSeconds: number;
  usage: PhaseUsage;
}

export interface EnginesRound {
  dockerode: DockerodeBaseline;
  corral: CorralRound;
  swarm: SwarmBaseline;
}

async function call<T>(ctl: ControllerProcess, method: string, pathname: string, body?: unknown): Promise<T> {
  const res = await fetch(`${ctl.baseUrl}${pathname}`, {
    method,
    headers: { ...ctl.authHeaders, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathname} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

// Waits for a command to end: ?wait on the request first, then its URL.
async function settle(ctl: ControllerProcess, row: CommandRow): Promise<CommandRow> {
  const final = new Set(['succeeded', 'failed', 'timed_out', 'canceled']);
  let current = row;
  const deadline = Date.now() + 180_000;
  while (!final.has(current.status)) {
    if (Date.now() > deadline) throw new Error(`command ${row.id} still ${current.status} after 180 s`);
    current = await call<CommandRow>(ctl, 'GET', `/api/v1/commands/${row.id}?wait=60`);
  }
  if (current.status !== 'succeeded') {
    throw new Error(`command ${row.id} ended ${current.status}: ${current.error?.code} ${current.error?.message}`);
  }
  return current;
}

async function listedInApi(ctl: ControllerProcess, hostId: string, run: string, state?: string) {
  const q = new URLSearchParams({ host: hostId, label: `${RUN_LABEL}=${run}`, limit: '500' });
  if (state) q.set('state', state);
  return (await ctl.get<{ items: ContainerRow[] }>(`/api/v1/containers?${q}`)).items;
}

// `count` containers created and started through the API at once, timed until every command succeeded
// and the API (and docker) show them all running; then removed through the API, outside the timing.
export async function corralRound(
  ctl: ControllerProcess,
  agent: AgentProcess,
  client: Dockerode,
  plan: EnginesPlan,
  run: string,
): Promise<CorralRound> {
  const runLabel = `${RUN_LABEL}=${run}`;
  const n = plan.containers;
  const meter = await PhaseMeter.begin(ctl);
  agent.cpu.begin();
  const engineCpu = engineCpuSeconds();
  const startedAt = Date.now();
  const started = performance.now();
  const since = () => (performance.now() - started) / 1000;
  const commands: CommandRow[] = [];
  try {
    // Nothing polls while they start: the results say when they are done, docker's StartedAt when they ran.
    const requestMs = await timedPool(
      n,
      plan.clientConcurrency,
      async (i) => {
        const row = await call<CommandRow>(ctl, 'POST', `/api/v1/hosts/${agent.hostId}/containers?wait=120`, {
          runtime: 'docker',
          image: BENCH_IMAGE,
          name: `corral-bench-${run}-${i}`,
          command: BENCH_COMMAND,
          labels: benchLabels(run),
        });
        commands.push(await settle(ctl, row));
      },
      300_000,
    );
    const resultsSeconds = since();
    const agentCpuSeconds = agent.cpu.seconds();
    const engine = engineCpuSeconds() - engineCpu;
    const usage = await meter.end();
    if (commands.length < n) throw new Error(`${commands.length}/${n} create commands ended within 300 s`);
    // Each result follows the delta that shows its container, so the API should list them all already.
    const deadline = Date.now() + 60_000;
    while ((await listedInApi(ctl, agent.hostId, run, 'running')).length < n) {
      if (Date.now() > deadline) throw new Error(`the API does not list ${n} running containers of run ${run}`);
      await sleep(50);
    }
    const apiSeconds = since();
    const dockerSeconds = ((await lastStartedAt(client, runLabel)) - startedAt) / 1000;

    const removeSeconds = await removeThroughApi(ctl, agent, client, run, n);
    const at = (s: string | null) => (s ? Date.parse(s) : Number.NaN);
    return {
      containers: n,
      resultsSeconds,
      apiSeconds,
      dockerSeconds,
      requestMs: summarize(requestMs),
      acceptedMs: summarize(commands.map((c) => at(c.startedAt) - at(c.createdAt))),
      finishedMs: summarize(commands.map((c) => at(c.finishedAt) - at(c.createdAt))),
      removeSeconds,
      agentCpuSeconds,
      engineCpuSeconds: engine,
      usage,
    };
  } finally {
    await removeBenchContainers(client, runLabel).catch(() => undefined);
  }
}

// DELETE ?force for each through the API, then checks that neither docker nor the API has any left.
async function removeThroughApi(
  ctl: ControllerProcess,
  agent: AgentProcess,
  client: Dockerode,
  run: string,
  n: number,
): Promise<number> {
  const started = performance.now();
  const rows = await listedInApi(ctl, agent.hostId, run);
  if (rows.length !== n) throw new Error(`the API lists ${rows.length} containers of run ${run}, expected ${n}`);
  // A few at a time, like every teardown here (see REMOVE_CONCURRENCY).
  await timedPool(
    rows.length,
    REMOVE_CONCURRENCY,
    async (i) => {
      await settle(ctl, await call<CommandRow>(ctl, 'DELETE', `/api/v1/containers/${rows[i]!.id}?force=true&wait=120`));
    },
    300_000,
  );
  const seconds = (performance.now() - started) / 1000;
  const left = await labelled(client, `${RUN_LABEL}=${run}`);
  if (left.length > 0) throw new Error(`${left.length} containers of run ${run} are still in docker after removal`);
  const listed = await listedInApi(ctl, agent.hostId, run);
  if (listed.length > 0) throw new Error(`the API still lists ${listed.length} containers of run ${run}`);
  return seconds;
}

// Whatever a killed run left: labelled containers, services in a swarm, a swarm the bench initialised.
async function removeLeftovers(client: Dockerode): Promise<void> {
  const swarmLeft = await leaveBenchSwarm();
  if (swarmLeft) console.log('  engines: left the swarm a killed benchmark had initialised');
  const services = await removeBenchServices(client);
  if (services > 0) console.log(`  engines: removed ${services} swarm service(s) a killed benchmark left`);
  const containers = await removeBenchContainers(client);
  if (containers > 0) console.log(`  engines: removed ${containers} container(s) a killed benchmark left`);
}

type WithController = <T>(fn: (ctl: ControllerProcess) => Promise<T>) => Promise<T>;

export async function enginesScenario(plan: EnginesPlan, withController: WithController): Promise<ScenarioReport> {
  const client = benchDocker();
  await requireDocker(client);
  await removeLeftovers(client);
  const rounds: EnginesRound[] = [];
  for (let r = 1; r <= plan.rounds; r++) {
    const tag = `round ${r}/${plan.rounds}`;
    const dockerode = await dockerodeBaseline(client, newRunId(), plan.containers, plan.baselineConcurrency);
    console.log(`  engines ${tag}: dockerode ${dockerode.seconds.toFixed(2)} s`);
    const corral = await withController(async (ctl) => {
      const agent = await AgentProcess.start(ctl);
      try {
        return await corralRound(ctl, agent, client, plan, newRunId());
      } catch (error) {
        console.error(`agent output (last lines):\n${agent.tail()}`);
        throw error;
      } finally {
        await agent.stop();
      }
    });
    console.log(
      `  engines ${tag}: Corral ${Math.max(corral.resultsSeconds, corral.apiSeconds).toFixed(2)} s ` +
        `(docker saw them all at ${corral.dockerSeconds.toFixed(2)} s)`,
    );
    const swarm = await swarmBaseline(client, newRunId(), plan.containers);
    console.log(`  engines ${tag}: swarm ${swarm.seconds.toFixed(2)} s`);
    rounds.push({ dockerode, corral, swarm });
  }
  return enginesReport(plan, rounds);
}

const median = (values: number[]) => summarize(values).p50;
const list = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');

export function enginesReport(plan: EnginesPlan, rounds: EnginesRound[]): ScenarioReport {
  const med = (f: (r: EnginesRound) => number) => median(rounds.map(f));
  const runs = (f: (r: EnginesRound) => number) => (rounds.length > 1 ? `runs ${list(rounds.map(f))}; ` : '');
  const corralOf = (r: EnginesRound) => Math.max(r.corral.resultsSeconds, r.corral.apiSeconds);
  const corralCpu = (r: EnginesRound) =>
    r.corral.engineCpuSeconds +
    r.corral.agentCpuSeconds +
    r.corral.usage.controllerCpuSeconds +
    r.corral.usage.postgresCpuSeconds;
  // What the machine did besides this run's engine, agent, controller, Postgres and bench.
  const othersCpu = (r: EnginesRound) =>
    Math.max(0, r.corral.usage.otherCpuSeconds - r.corral.engineCpuSeconds - r.corral.agentCpuSeconds);
  const corral = med(corralOf);
  const dockerode = med((r) => r.dockerode.seconds);
  const swarm = med((r) => r.swarm.seconds);
  const met = corral <= swarm && corral <= dockerode * TARGET_DOCKERODE_RATIO;
  const n = plan.containers;
  const dockerodeName = `dockerode, ${plan.baselineConcurrency} at a time`;
  const figures: Figure[] = [
    figure(`Corral: ${n} containers created+started, all running`, corral, 's', {
      target: { text: TARGET_TEXT, met },
      baseline: { name: dockerodeName, value: dockerode, unit: 's', ratio: corral / dockerode },
      note: `${runs(corralOf)}all ${n} API requests at once; every command succeeded and the API lists all running`,
    }),
    figure(`Corral: ${n} containers created+started, all running`, corral, 's', {
      target: { text: TARGET_TEXT, met },
      baseline: { name: `Swarm, --replicas ${n}`, value: swarm, unit: 's', ratio: corral / swarm },
    }),
    figure(
      'Corral: docker started the last one',
      med((r) => r.corral.dockerSeconds),
      's',
      {
        baseline: {
          name: dockerodeName,
          value: dockerode,
          unit: 's',
          ratio: med((r) => r.corral.dockerSeconds) / dockerode,
        },
        note: "the last container's State.StartedAt",
      },
    ),
    figure('Corral: CPU to start them', med(corralCpu), 'cpu-s', {
      baseline: {
        name: 'dockerode: engine CPU',
        value: med((r) => r.dockerode.engineCpuSeconds),
        unit: 'cpu-s',
        ratio: med(corralCpu) / med((r) => r.dockerode.engineCpuSeconds),
      },
      note:
        `engine ${med((r) => r.corral.engineCpuSeconds).toFixed(2)}, agent ${med((r) => r.corral.agentCpuSeconds).toFixed(2)}, ` +
        `controller ${med((r) => r.corral.usage.controllerCpuSeconds).toFixed(2)}, Postgres ${med((r) => r.corral.usage.postgresCpuSeconds).toFixed(2)}; ` +
        `everything else on the machine ${med(othersCpu).toFixed(1)}`,
    }),
    figure(
      'Corral: command accepted by the agent, p50',
      med((r) => r.corral.acceptedMs.p50),
      'ms',
      {
        note: `after its creation; max ${med((r) => r.corral.acceptedMs.max).toFixed(0)} ms`,
      },
    ),
    figure(
      'Corral: command finished, p50',
      med((r) => r.corral.finishedMs.p50),
      'ms',
      {
        note: `after its creation; max ${med((r) => r.corral.finishedMs.max).toFixed(0)} ms`,
      },
    ),
    figure('dockerode baseline', dockerode, 's', {
      note: `${runs((r) => r.dockerode.seconds)}engine CPU ${med((r) => r.dockerode.engineCpuSeconds).toFixed(2)} cpu-s`,
    }),
    figure('Swarm baseline', swarm, 's', {
      note: `${runs((r) => r.swarm.seconds)}engine CPU ${med((r) => r.swarm.engineCpuSeconds).toFixed(2)} cpu-s; until the last task's State.StartedAt`,
    }),
    figure(
      'removal through the API',
      med((r) => r.corral.removeSeconds),
      's',
      {
        note:
          `DELETE ?force, ${REMOVE_CONCURRENCY} at a time (dockerode too); dockerode ${med((r) => r.dockerode.removeSeconds).toFixed(2)} s, ` +
          `swarm ${med((r) => r.swarm.removeSeconds).toFixed(2)} s`,
      },
    ),
  ];
  return {
    scenario: 'engines',
    params: { containers: n, rounds: rounds.length, image: BENCH_IMAGE },
    figures,
    details: { plan, rounds },
  };
}
