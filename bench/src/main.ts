import path from 'node:path';
import { parseArgs } from 'node:util';
import { type CopyBaseline, copyBaseline } from './baselines/copy.baseline.js';
import { type WsBaseline, wsBaseline } from './baselines/ws.baseline.js';
import { apiScenario } from './scenarios/api.scenario.js';
import { churnScenario } from './scenarios/churn.scenario.js';
import { type CommandsParams, commandsScenario } from './scenarios/commands.scenario.js';
import { enginesPlan, enginesScenario } from './scenarios/engines.scenario.js';
import { type FleetSize, label } from './scenarios/fleet-size.js';
import { pullPlan, pullScenario } from './scenarios/image-pull.scenario.js';
import { imagesPlan, imagesScenario } from './scenarios/images.scenario.js';
import { placementPlan, placementScenario } from './scenarios/placement.scenario.js';
import { replicasPlan, replicasScenario } from './scenarios/replicas.scenario.js';
import { streamsPlan, streamsScenario } from './scenarios/streams.scenario.js';
import { syncFleet, syncReport } from './scenarios/sync.scenario.js';
import { visibilityPlan, visibilityScenario } from './scenarios/visibility.scenario.js';
import { type WebParams, webScenario } from './scenarios/web.scenario.js';
import { ControllerProcess } from './support/controller-process.js';
import { newestProfile, printProfile } from './support/cpu-profile.js';
import { REPO_ROOT } from './support/paths.js';
import { loadAverage, machineCpu } from './support/proc.js';
import { figure, machineInfo, printTable, type RunReport, type ScenarioReport, writeReport } from './support/report.js';

const SCENARIOS = [
  'sync',
  'churn',
  'api',
  'commands',
  'baselines',
  'placement',
  'engines',
  'visibility',
  'streams',
  'web',
  'images',
  'replicas',
  'all',
] as const;
type Scenario = (typeof SCENARIOS)[number];

const USAGE = `usage: npm run bench -- <${SCENARIOS.join('|')}> [--quick] [--hosts N] [--containers M] [--connect-rate N] [--profile]
  sync       time to ingest every first snapshot and show it in the API; controller CPU and peak RSS
  churn      steps the change rate up; p50/p99 from send to visible; highest rate without a growing backlog
  api        container list filters and /fleet/summary at full fleet size, 8 requests in flight
  commands   container commands through the API (?wait until done) at rising rates: p50/p99 round trip, highest rate
  baselines  raw COPY of the same rows, raw ws round trip and pipelined echo
  placement  scheduling decisions per second: pure functions over 10,000 hosts, and through HTTP and Postgres
  engines    50 real containers created+started through the API on this host's Docker, beside plain dockerode and Swarm
  visibility a real agent at its default intervals: Docker and LXC changes made on the engines, until the API shows them
  streams    corral exec -it keystroke echo and exec output throughput beside docker exec; controller RSS with 100 streams
  web        the web view in headless Chromium at 10,000 x 50: first rows of the fleet and containers pages, JS heap
             over 5 minutes of churn at 1,000 changes/s (--quick: 200 x 50, 30 s)
  images     image copy host to host through the controller beside docker save | docker load piped; controller RSS; and pull time through Corral
             beside docker pull of the same image from the test registry (engines-up.sh)
  replicas   10,000 x 50 synced and commands at 200/s through 1 and through 2 controller replicas on one database
             (CPU per host and per command, cross-replica p99), then kill -9 of one replica: time until every host is back
  all        every one of the above
  --quick    CI size: 200 x 50, short steps, fewer rounds (the whole "all" run takes a few minutes)
  --profile  the controller runs with --cpu-prof; its profile is summarized at the end`;

interface Plan {
  quick: boolean;
  profile: boolean;
  syncSizes: FleetSize[];
  churnSize: FleetSize;
  apiSize: FleetSize;
  churn: { rates: number[]; stepSeconds: number; drainSeconds: number };
  apiRequests: number;
  commandsSize: FleetSize;
  commands: CommandsParams;
  webSize: FleetSize;
  web: WebParams;
  ws: { roundTrips: number; pipelined: number };
  timeoutMs: number;
  // placement: --hosts, when given, sizes both its synthetic fleet and its database.
  placementHosts: number | undefined;
  containers: number;
  replicasSize: FleetSize;
}

function plan(argv: string[]): { scenario: Scenario; plan: Plan } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      hosts: { type: 'string' },
      containers: { type: 'string' },
      'connect-rate': { type: 'string' },
    },
  });
  const scenario = positionals[0] as Scenario;
  if (!SCENARIOS.includes(scenario) || positionals.length > 1) throw new Error(USAGE);
  const quick = values.quick ?? false;
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 20_000) throw new Error(`--${name} must be an integer in [1, 20000]`);
    return n;
  };
  const hosts = int(values.hosts, 'hosts');
  const containers = int(values.containers, 'containers') ?? 50;
  const connectPerSecond = int(values['connect-rate'], 'connect-rate') ?? 1000;
  const size = (h: number): FleetSize => ({ hosts: h, containers, seed: 1, connectPerSecond });
  return {
    scenario,
    plan: {
      quick,
      profile: values.profile ?? false,
      syncSizes: hosts ? [size(hosts)] : quick ? [size(200)] : [size(1000), size(10_000)],
      churnSize: size(hosts ?? (quick ? 200 : 1000)),
      apiSize: size(hosts ?? (quick ? 200 : 10_000)),
      churn: quick
        ? { rates: [250, 500, 1000, 2000], stepSeconds: 5, drainSeconds: 8 }
        : { rates: [1000, 2500, 5000, 7500, 10_000, 15_000], stepSeconds: 15, drainSeconds: 30 },
      apiRequests: quick ? 40 : 200,
      commandsSize: size(hosts ?? (quick ? 200 : 1000)),
      webSize: size(hosts ?? (quick ? 200 : 10_000)),
      web: quick
        ? { loads: 3, churnRate: 1000, churnSeconds: 30, sampleEverySeconds: 5 }
        : { loads: 5, churnRate: 1000, churnSeconds: 300, sampleEverySeconds: 15 },
      commands: {
        rates: quick ? [50, 100, 200, 400] : [50, 100, 200, 400, 800, 1600],
        stepSeconds: quick ? 3 : 10,
        maxInFlight: 2000,
        targets: 1000,
        warmupSeconds: quick ? 1 : 3,
      },
      ws: quick ? { roundTrips: 500, pipelined: 20_000 } : { roundTrips: 2000, pipelined: 100_000 },
      timeoutMs: quick ? 60_000 : 900_000,
      placementHosts: hosts,
      containers,
      replicasSize: size(hosts ?? (quick ? 200 : 10_000)),
    },
  };
}

async function withController<T>(p: Plan, name: string, fn: (ctl: ControllerProcess) => Promise<T>): Promise<T> {
  const cpuProfileDir = p.profile
    ? path.join(REPO_ROOT, 'bench', 'results', 'profiles', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    : undefined;
  const ctl = await ControllerProcess.start({ cpuProfileDir });
  try {
    return await fn(ctl);
  } catch (err) {
    console.error(`controller output (last lines):\n${ctl.tail()}`);
    throw err;
  } finally {
    await ctl.stop();
    if (cpuProfileDir) {
      const file = newestProfile(cpuProfileDir);
      if (file) printProfile(file, ctl.profileFromMicros);
      else console.warn(`no CPU profile was written to ${cpuProfileDir}`);
    }
  }
}

async function main(): Promise<void> {
  const { scenario, plan: p } = plan(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const loadBefore = loadAverage();
  const machineStart = machineCpu();
  const reports: ScenarioReport[] = [];
  const emit = (r: ScenarioReport) => {
    printTable(r);
    reports.push(r);
  };
  const wants = (s: Scenario) => scenario === s || scenario === 'all';
  console.log(
    `bench ${scenario}${p.quick ? ' (quick)' : ''}: load average ${loadBefore.join(' ')}, ${machineInfo(loadBefore).cpus} cores`,
  );

  const copies = new Map<number, CopyBaseline>();
  let ws: WsBaseline | null = null;
  if (wants('baselines') || wants('sync') || wants('churn') || wants('commands')) {
    if (wants('baselines') || wants('churn') || wants('commands')) {
      ws = await wsBaseline(p.ws.roundTrips, p.ws.pipelined);
    }
    if (wants('baselines') || wants('sync')) {
      for (const s of p.syncSizes) copies.set(s.hosts, await copyBaseline(s.hosts, s.containers, s.seed));
    }
    if (wants('baselines')) {
      emit({
        scenario: 'baselines',
        params: { copyRows: p.syncSizes.map(label).join(', '), frameBytes: ws?.frameBytes ?? 0 },
        figures: [
          ...[...copies.entries()].map(([hosts, c]) =>
            figure(`raw COPY of ${c.rows.toLocaleString('en-US')} container rows`, c.rowsPerSecond, 'rows/s', {
              note: `${c.seconds.toFixed(2)} s, ${(c.bytes / 1024 ** 2).toFixed(0)} MiB, ${hosts} hosts`,
            }),
          ),
          figure('raw ws round trip p50', ws!.roundTrip.p50, 'ms', { note: `p99 ${ws!.roundTrip.p99.toFixed(3)} ms` }),
          figure('raw ws pipelined echo', ws!.pipelinedMessagesPerSecond, 'msg/s', {
            note: `${ws!.pipelined} messages`,
          }),
        ],
        details: { copies: Object.fromEntries(copies), ws },
      });
    }
  }

  const timeout = p.timeoutMs;
  // A fleet once synced serves the scenarios of its size that were asked for: sync, then reads, then churn.
  const sizes = new Map<number, FleetSize>();
  if (wants('sync')) for (const s of p.syncSizes) sizes.set(s.hosts, s);
  if (wants('api') && !sizes.has(p.apiSize.hosts)) sizes.set(p.apiSize.hosts, p.apiSize);
  if (wants('churn') && !sizes.has(p.churnSize.hosts)) sizes.set(p.churnSize.hosts, p.churnSize);
  if (wants('commands') && !sizes.has(p.commandsSize.hosts)) sizes.set(p.commandsSize.hosts, p.commandsSize);
  if (wants('web') && !sizes.has(p.webSize.hosts)) sizes.set(p.webSize.hosts, p.webSize);
  for (const size of sizes.values()) {
    await withController(p, `${scenario}-${size.hosts}`, async (ctl) => {
      const outcome = await syncFleet(ctl, size, timeout);
      try {
        if (wants('sync') && p.syncSizes.includes(size))
          emit(syncReport(size, outcome, copies.get(size.hosts) ?? null));
        if (wants('api') && p.apiSize.hosts === size.hosts) {
          emit(await apiScenario(ctl, size, { requestsPerQuery: p.apiRequests }));
        }
        // Before churn, whose last step leaves the controller saturated.
        if (wants('web') && p.webSize.hosts === size.hosts) emit(await webScenario(ctl, outcome.fleet, size, p.web));
        if (wants('commands') && p.commandsSize.hosts === size.hosts)
          emit(await commandsScenario(ctl, outcome.fleet, size, p.commands, ws));
        if (wants('churn') && p.churnSize.hosts === size.hosts)
          emit(await churnScenario(ctl, outcome.fleet, size, p.churn, ws));
      } finally {
        await outcome.fleet.stop();
      }
    });
  }

  if (wants('placement')) {
    const profileDir = p.profile
      ? path.join(
          REPO_ROOT,
          'bench',
          'results',
          'profiles',
          `placement-${new Date().toISOString().replace(/[:.]/g, '-')}`,
        )
      : undefined;
    emit(await placementScenario(placementPlan(p.quick, p.placementHosts, p.containers), profileDir));
  }
  if (wants('streams')) emit(await streamsScenario(streamsPlan(p.quick)));
  if (wants('engines')) {
    emit(await enginesScenario(enginesPlan(p.quick), (fn) => withController(p, 'engines', fn)));
  }
  if (wants('images')) {
    emit(await imagesScenario(imagesPlan(p.quick)));
    emit(await pullScenario(pullPlan(p.quick), (fn) => withController(p, 'images-pull', fn)));
  }
  if (wants('replicas')) emit(await replicasScenario(replicasPlan(p.quick, p.replicasSize), p.quick));
  if (wants('visibility')) {
    emit(await visibilityScenario(visibilityPlan(p.quick), (fn) => withController(p, 'visibility', fn)));
  }

  const machineEnd = machineCpu();
  const finishedAt = new Date().toISOString();
  const run: RunReport = {
    startedAt,
    finishedAt,
    quick: p.quick,
    machine: machineInfo(loadBefore),
    machineBusyShare: null,
    scenarios: reports,
  };
  const wall = (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
  const busy = machineEnd.busy - machineStart.busy;
  run.machineBusyShare = wall > 0 ? busy / (wall * run.machine.cpus) : null;
  const file = writeReport(scenario, run);
  console.log(
    `\nbench ${scenario} done in ${wall.toFixed(0)} s; load average ${loadBefore.join(' ')} -> ${run.machine.loadAfter.join(' ')}; ` +
      `results in ${path.relative(REPO_ROOT, file)}`,
  );
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
