import os from 'node:os';
import { Fleet } from '@corral/simulator';
import pg from 'pg';
import { ControllerProcess } from '../support/controller-process.js';
import { createBenchDatabase } from '../support/database.js';
import { KeepAliveClient } from '../support/http-client.js';
import { type OpenLoopResult, runOpenLoop } from '../support/open-loop.js';
import { PhaseMeter, type PhaseUsage } from '../support/phase.js';
import { type Figure, figure, fmt, type ScenarioReport } from '../support/report.js';
import { sleep } from '../support/stats.js';
import { outcomeOf } from './commands.scenario.js';
import { type FleetSize, type FleetSummary, label } from './fleet-size.js';

// Goals of issue 17: commands across replicas within 1.5x the one-replica p99, and every host of a
// killed replica online again through the other within 30 s with nothing lost.
export const TARGET_P99_RATIO = 1.5;
export const TARGET_STORM_S = 30;
const WAIT_SECONDS = 10;

export interface ReplicasParams {
  size: FleetSize;
  commandRate: number;
  commandSeconds: number;
  warmupSeconds: number;
  // Commands go to one container on each of this many hosts at most.
  targets: number;
  timeoutMs: number;
}

export function replicasPlan(quick: boolean, size: FleetSize): ReplicasParams {
  return {
    size,
    commandRate: 200,
    commandSeconds: quick ? 3 : 20,
    warmupSeconds: quick ? 1 : 3,
    targets: 1000,
    timeoutMs: quick ? 60_000 : 900_000,
  };
}

interface Usage extends PhaseUsage {
  // Every replica's CPU (PhaseUsage.controllerCpuSeconds is the first replica's alone).
  replicasCpuSeconds: number;
}

interface CommandsStep extends OpenLoopResult {
  usage: Usage;
  // Where the time of the step's commands went, from their rows (ms): created -> sent -> finished.
  phases: CommandPhases;
}

interface CommandPhases {
  toSentP50: number;
  toSentP99: number;
  sentToFinishedP50: number;
  sentToFinishedP99: number;
  neverSent: number;
}

// Phases of the commands created since `since`, read from their rows.
async function commandPhases(db: pg.Client, since: Date): Promise<CommandPhases> {
  const { rows } = await db.query<Record<keyof CommandPhases, string | null>>(
    `SELECT
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "sentAt" - "createdAt")) * 1000 AS "toSentP50",
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM "sentAt" - "createdAt")) * 1000 AS "toSentP99",
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "finishedAt" - "sentAt")) * 1000 AS "sentToFinishedP50",
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM "finishedAt" - "sentAt")) * 1000 AS "sentToFinishedP99",
       count(*) FILTER (WHERE "sentAt" IS NULL) AS "neverSent"
     FROM "Command" WHERE "createdAt" >= $1`,
    [since],
  );
  const r = rows[0]!;
  const n = (v: string | null) => (v === null ? Number.NaN : Number(v));
  return {
    toSentP50: n(r.toSentP50),
    toSentP99: n(r.toSentP99),
    sentToFinishedP50: n(r.sentToFinishedP50),
    sentToFinishedP99: n(r.sentToFinishedP99),
    neverSent: n(r.neverSent),
  };
}

interface Run {
  replicas: number;
  syncSeconds: number;
  sync: Usage;
  commands: CommandsStep;
  // heldByKilled: the hosts the killed replica held (each fleet lists its replica first; a host whose
  // first connection failed went to the other).
  storm?: {
    seconds: number;
    heldByKilled: number;
    hostsBack: number;
    containers: number;
    hostRows: number;
    usage: Usage;
  };
}

// Measures a phase on every replica: PhaseMeter on the first (its Postgres backends are the whole
// database's, the replicas sharing it), CPU meters on the others.
async function measure<T>(ctls: ControllerProcess[], fn: () => Promise<T>): Promise<{ value: T; usage: Usage }> {
  const meter = await PhaseMeter.begin(ctls[0]!);
  for (const c of ctls.slice(1)) c.cpu.begin();
  let value: T;
  try {
    value = await fn();
  } catch (err) {
    await meter.end();
    throw err;
  }
  const u = await meter.end();
  const others = ctls.slice(1).reduce((sum, c) => sum + c.cpu.seconds(), 0);
  return {
    value,
    usage: {
      ...u,
      replicasCpuSeconds: u.controllerCpuSeconds + others,
      otherCpuSeconds: Math.max(0, u.otherCpuSeconds - others),
    },
  };
}

async function count(db: pg.Client, text: string, values: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: string }>(text, values);
  return Number(rows[0]?.n ?? 0);
}

// One container on each of up to `want` hosts, of the hosts `replicaId` holds (or of any host).
async function targets(db: pg.Client, want: number, replicaId: string | null): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT DISTINCT ON (c."hostId") c.id FROM "Container" c JOIN "Host" h ON h.id = c."hostId"
     WHERE $1::text IS NULL OR h."replicaId" = $1 ORDER BY c."hostId", c.id LIMIT $2`,
    [replicaId, want],
  );
  if (rows.length === 0) throw new Error(`no containers on hosts held by ${replicaId ?? 'any replica'}`);
  return rows.map((r) => r.id);
}

async function waitVisible(ctl: ControllerProcess, size: FleetSize, timeoutMs: number): Promise<void> {
  const want = size.hosts * size.containers;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await ctl.get<FleetSummary>('/api/v1/fleet/summary');
    if (s.totals.containers >= want && s.hosts.online >= size.hosts) return;
    if (Date.now() > deadline) throw new Error(`API shows ${s.totals.containers}/${want} containers`);
    await sleep(50);
  }
}

// Commands sent to `via` for containers on hosts `holder` holds, at a fixed rate, ?wait until done.
async function commands(
  db: pg.Client,
  ctls: ControllerProcess[],
  via: ControllerProcess,
  ids: string[],
  fleets: Fleet[],
  p: ReplicasParams,
): Promise<CommandsStep> {
  const client = new KeepAliveClient(via.baseUrl, via.authHeaders, 2000, (WAIT_SECONDS + 5) * 1000);
  for (const f of fleets) f.setCommandDelay(0);
  const send = async (i: number) => {
    const reply = await client.request(
      'POST',
      `/api/v1/containers/${ids[i % ids.length]}/restart?wait=${WAIT_SECONDS}`,
    );
    return outcomeOf(reply.status, reply.body);
  };
  const loop = (seconds: number) =>
    runOpenLoop({ perSecond: p.commandRate, seconds, maxInFlight: 2000, drainMs: (WAIT_SECONDS + 5) * 1000 }, send);
  try {
    await loop(p.warmupSeconds);
    await sleep(500);
    const since = (await db.query<{ now: Date }>('SELECT now() AS now')).rows[0]!.now;
    const { value, usage } = await measure(ctls, () => loop(p.commandSeconds));
    for (const message of value.errorSamples.slice(0, 3)) console.log(`    error: ${message}`);
    return { ...value, usage, phases: await commandPhases(db, since) };
  } finally {
    client.close();
  }
}

async function syncFleets(ctls: ControllerProcess[], fleets: Fleet[], p: ReplicasParams) {
  const started = performance.now();
  const { usage } = await measure(ctls, async () => {
    for (const f of fleets) f.start();
    const deadline = Date.now() + p.timeoutMs;
    while (fleets.reduce((n, f) => n + f.snapshot().hostsSynced, 0) < p.size.hosts) {
      if (Date.now() > deadline) throw new Error(`sync not done in ${p.timeoutMs} ms`);
      await sleep(50);
    }
    await waitVisible(ctls[0]!, p.size, p.timeoutMs);
  });
  return { syncSeconds: (performance.now() - started) / 1000, sync: usage };
}

function fleetOf(url: string, hosts: number, hostOffset: number, token: string, size: FleetSize): Fleet {
  return new Fleet({
    url,
    enrollmentToken: token,
    hosts,
    hostOffset,
    containersPerHost: size.containers,
    seed: size.seed,
    connectPerSecond: size.connectPerSecond,
  });
}

async function oneReplica(p: ReplicasParams): Promise<Run> {
  const ctl = await ControllerProcess.start();
  const db = new pg.Client({ connectionString: ctl.db.url });
  const fleet = fleetOf(ctl.wsUrl, p.size.hosts, 0, await ctl.enrollmentToken(p.size.hosts), p.size);
  try {
    await db.connect();
    await fleet.enroll();
    const synced = await syncFleets([ctl], [fleet], p);
    console.log(`  replicas: 1 replica synced ${label(p.size)} in ${synced.syncSeconds.toFixed(1)} s`);
    const step = await commands(db, [ctl], ctl, await targets(db, p.targets, null), [fleet], p);
    console.log(`  replicas: 1 replica, ${stepLine(step)}`);
    return { replicas: 1, ...synced, commands: step };
  } finally {
    await fleet.stop();
    await db.end();
    await ctl.stop();
  }
}

// Two replicas, half the hosts listing each first; commands sent to A for hosts B holds; then B
// is killed -9 and its agents fail over to A.
async function twoReplicas(p: ReplicasParams): Promise<Run> {
  const database = await createBenchDatabase();
  const ctls: ControllerProcess[] = [];
  const db = new pg.Client({ connectionString: database.url });
  const fleets: Fleet[] = [];
  try {
    ctls.push(await ControllerProcess.start({ database, env: { CORRAL_REPLICA_ID: 'a' } }));
    ctls.push(await ControllerProcess.start({ database, env: { CORRAL_REPLICA_ID: 'b' } }));
    const [a, b] = ctls as [ControllerProcess, ControllerProcess];
    await db.connect();
    const token = await a.enrollmentToken(p.size.hosts);
    const half = Math.floor(p.size.hosts / 2);
    fleets.push(fleetOf(`${a.wsUrl},${b.wsUrl}`, half, 0, token, p.size));
    fleets.push(fleetOf(`${b.wsUrl},${a.wsUrl}`, p.size.hosts - half, half, token, p.size));
    for (const f of fleets) await f.enroll();
    const synced = await syncFleets(ctls, fleets, p);
    const onB = await count(db, `SELECT count(*) AS n FROM "Host" WHERE "replicaId" = 'b'`);
    console.log(
      `  replicas: 2 replicas synced ${label(p.size)} in ${synced.syncSeconds.toFixed(1)} s (${onB} hosts on b)`,
    );
    const step = await commands(db, ctls, a, await targets(db, p.targets, 'b'), fleets, p);
    console.log(`  replicas: 2 replicas, sent to a for hosts on b, ${stepLine(step)}`);

    // The storm: b dies; every host it held connects to a, which must take them all.
    const before = await count(db, `SELECT count(*) AS n FROM "Container"`);
    const killedAt = performance.now();
    const { value: storm, usage } = await measure([a], async () => {
      await b.kill();
      const deadline = Date.now() + p.timeoutMs;
      for (;;) {
        const onA = await count(db, `SELECT count(*) AS n FROM "Host" WHERE "replicaId" = 'a' AND status = 'online'`);
        const synced = fleets.reduce((n, f) => n + f.snapshot().hostsSynced, 0);
        if (onA >= p.size.hosts && synced >= p.size.hosts) return { seconds: (performance.now() - killedAt) / 1000 };
        if (Date.now() > deadline) throw new Error(`after the kill: ${onA}/${p.size.hosts} hosts online on a`);
        await sleep(100);
      }
    });
    await waitVisible(a, p.size, p.timeoutMs);
    const containers = await count(db, `SELECT count(*) AS n FROM "Container"`);
    const hostRows = await count(db, `SELECT count(*) AS n FROM "Host"`);
    const hostsBack = await count(db, `SELECT count(*) AS n FROM "Host" WHERE status = 'online'`);
    if (containers !== before) console.log(`    containers before the kill ${before}, after ${containers}`);
    console.log(`  replicas: b killed, ${onB} hosts back on a in ${storm.seconds.toFixed(1)} s`);
    return {
      replicas: 2,
      ...synced,
      commands: step,
      storm: { seconds: storm.seconds, heldByKilled: onB, hostsBack, containers, hostRows, usage },
    };
  } finally {
    for (const f of fleets) await f.stop();
    await db.end().catch(() => undefined);
    for (const c of ctls) await c.stop();
    await database.drop();
  }
}

const pct = (cpuSeconds: number, seconds: number) => `${((cpuSeconds / seconds) * 100).toFixed(0)}%`;

function stepLine(s: CommandsStep): string {
  return (
    `${s.perSecond}/s for ${s.seconds.toFixed(0)} s: ok ${s.ok}, p50 ${s.latencyWithFailures.p50.toFixed(1)} ms, ` +
    `p99 ${s.latencyWithFailures.p99.toFixed(1)} ms, ${s.errors} errors, ${s.unfinished} unfinished, ${s.dropped} dropped; ` +
    `cpu: replicas ${pct(s.usage.replicasCpuSeconds, s.usage.seconds)}, postgres ${pct(s.usage.postgresCpuSeconds, s.usage.seconds)}, ` +
    `bench (client and simulated agents) ${pct(s.usage.benchCpuSeconds, s.usage.seconds)}, ` +
    `whole machine ${pct(s.usage.machineBusyCpuSeconds, s.usage.seconds)} of ${os.cpus().length * 100}%; ` +
    `rows: created->sent p50 ${s.phases.toSentP50.toFixed(1)} p99 ${s.phases.toSentP99.toFixed(1)} ms, ` +
    `sent->finished p50 ${s.phases.sentToFinishedP50.toFixed(1)} p99 ${s.phases.sentToFinishedP99.toFixed(1)} ms, ${s.phases.neverSent} never sent`
  );
}

export async function replicasScenario(p: ReplicasParams, quick: boolean): Promise<ScenarioReport> {
  const one = await oneReplica(p);
  const two = await twoReplicas(p);
  const hosts = p.size.hosts;
  const cpuPerHostMs = (r: Run) => (r.sync.replicasCpuSeconds * 1000) / hosts;
  const cpuPerCommandMs = (r: Run) =>
    r.commands.ok > 0 ? (r.commands.usage.replicasCpuSeconds * 1000) / r.commands.ok : Number.NaN;
  const failed = (s: CommandsStep) => s.errors + s.unfinished + s.dropped;
  const p99One = one.commands.latencyWithFailures.p99;
  const p99Two = two.commands.latencyWithFailures.p99;
  const storm = two.storm!;
  const containers = hosts * p.size.containers;
  const nothingLost = storm.containers === containers && storm.hostRows === hosts && storm.hostsBack === hosts;
  const sizeNote = quick ? ` (--quick: ${label(p.size)}; the goals name 10,000 x 50)` : '';
  const figures: Figure[] = [
    figure('sync through 2 replicas', two.syncSeconds, 's', {
      baseline: { name: '1 replica', value: one.syncSeconds, unit: 's', ratio: two.syncSeconds / one.syncSeconds },
      note: `${label(p.size)}, every container visible in the API${sizeNote}`,
    }),
    figure('sync: controller CPU per host, 2 replicas', cpuPerHostMs(two), 'ms', {
      baseline: {
        name: '1 replica',
        value: cpuPerHostMs(one),
        unit: 'ms',
        ratio: cpuPerHostMs(two) / cpuPerHostMs(one),
      },
      note: `both replicas together; Postgres ${fmt(two.sync.postgresCpuSeconds, 'cpu-s')} (1 replica: ${fmt(one.sync.postgresCpuSeconds, 'cpu-s')})`,
    }),
    figure(`cross-replica command round trip p99 at ${p.commandRate}/s`, p99Two, 'ms', {
      target: {
        text: `<= ${TARGET_P99_RATIO}x one replica (${fmt(p99One * TARGET_P99_RATIO, 'ms')}), nothing failed`,
        met: p99Two <= p99One * TARGET_P99_RATIO && failed(two.commands) === 0,
      },
      baseline: { name: '1 replica p99', value: p99One, unit: 'ms', ratio: p99Two / p99One },
      note:
        `sent to a for hosts b holds, ?wait=${WAIT_SECONDS}; ${failed(two.commands)} of ${two.commands.offered} failed (1 replica: ${failed(one.commands)} of ${one.commands.offered}); ` +
        `rows created->sent p99 ${fmt(two.commands.phases.toSentP99, 'ms')} (1 replica ${fmt(one.commands.phases.toSentP99, 'ms')}), ` +
        `sent->finished p99 ${fmt(two.commands.phases.sentToFinishedP99, 'ms')} (1 replica ${fmt(one.commands.phases.sentToFinishedP99, 'ms')}); ` +
        `whole machine busy ${pct(two.commands.usage.machineBusyCpuSeconds, two.commands.usage.seconds)} of ${os.cpus().length * 100}% (1 replica ${pct(one.commands.usage.machineBusyCpuSeconds, one.commands.usage.seconds)})`,
    }),
    figure('command: controller CPU per command, 2 replicas', cpuPerCommandMs(two), 'ms', {
      baseline: {
        name: '1 replica',
        value: cpuPerCommandMs(one),
        unit: 'ms',
        ratio: cpuPerCommandMs(two) / cpuPerCommandMs(one),
      },
      note: 'both replicas together: the one that takes the request and the one that holds the agent',
    }),
    figure('reconnect storm: every host of the killed replica online again', storm.seconds, 's', {
      target: {
        text: `<= ${TARGET_STORM_S} s, nothing lost`,
        met: storm.seconds <= TARGET_STORM_S && nothingLost,
      },
      note:
        `kill -9 of one of 2 replicas, which held ${storm.heldByKilled.toLocaleString('en-US')} of the ${label(p.size)} hosts; ` +
        `after: ${storm.hostsBack}/${hosts} hosts online, ${storm.hostRows} host rows, ${storm.containers}/${containers} containers; ` +
        `surviving replica ${pct(storm.usage.controllerCpuSeconds, storm.usage.seconds)} of a core`,
    }),
  ];
  return {
    scenario: 'replicas',
    params: {
      hosts,
      containers: p.size.containers,
      commandRate: p.commandRate,
      commandSeconds: p.commandSeconds,
      quick,
    },
    figures,
    details: { one, two },
  };
}
