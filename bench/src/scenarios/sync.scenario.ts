import { Fleet, type FleetSnapshot } from '@corral/simulator';
import type { CopyBaseline } from '../baselines/copy.baseline.js';
import type { ControllerProcess } from '../support/controller-process.js';
import { PhaseMeter, type PhaseUsage } from '../support/phase.js';
import { type Figure, figure, type ScenarioReport } from '../support/report.js';
import { sleep } from '../support/stats.js';
import { type FleetSize, type FleetSummary, label } from './fleet-size.js';

// The targets name one size, 10,000 hosts x 50 containers: sync within 20 s and peak RSS within
// 1.5 GiB are judged there only (a smaller fleet proves neither); the ingest share of raw COPY is
// compared with COPY of the same rows, so it is judged at any size.
export const TARGET_HOSTS = 10_000;
export const TARGET_CONTAINERS = 50;
export const TARGET_SYNC_S = 20;
export const TARGET_RSS = 1.5 * 1024 ** 3;
export const TARGET_COPY_SHARE = 0.5;

export const atTargetSize = (size: Pick<FleetSize, 'hosts' | 'containers'>) =>
  size.hosts === TARGET_HOSTS && size.containers === TARGET_CONTAINERS;

export interface SyncOutcome {
  fleet: Fleet;
  // Every host enrolling (before the sync is timed).
  enrollSeconds: number;
  ackedSeconds: number;
  visibleSeconds: number;
  usage: PhaseUsage;
  // The synced fleet doing nothing but heartbeats (every host once per 10 s by default).
  idle: PhaseUsage;
  timeline: { t: number; synced: number; connected: number; snapshotsSent: number; rssMiB: number }[];
  final: FleetSnapshot;
}

// Starts a fleet and waits until every first snapshot is acknowledged and the API shows all of it.
export async function syncFleet(
  ctl: ControllerProcess,
  size: FleetSize,
  timeoutMs: number,
  idleSeconds = 5,
): Promise<SyncOutcome> {
  const fleet = new Fleet({
    url: ctl.wsUrl,
    enrollmentToken: await ctl.enrollmentToken(size.hosts),
    hosts: size.hosts,
    containersPerHost: size.containers,
    seed: size.seed,
    connectPerSecond: size.connectPerSecond,
  });
  // Enrollment is a one-time step of each host, measured apart: the sync below starts from enrolled hosts.
  const enrollStarted = performance.now();
  await fleet.enroll();
  const enrollSeconds = (performance.now() - enrollStarted) / 1000;
  const meter = await PhaseMeter.begin(ctl);
  const started = performance.now();
  const timeline: SyncOutcome['timeline'] = [];
  const progress = setInterval(() => {
    const s = fleet.snapshot();
    timeline.push({
      t: Math.round(performance.now() - started) / 1000,
      synced: s.hostsSynced,
      connected: s.connected,
      snapshotsSent: s.snapshotsSent,
      rssMiB: Math.round(ctl.memory().rssBytes / 1024 ** 2),
    });
    const line =
      `  sync ${label(size)}: ${s.hostsSynced}/${size.hosts} hosts acked, ${s.connected} connected, ` +
      `${s.snapshotsSent} snapshots sent, ${s.disconnects} reconnects`;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}   `);
    else if (timeline.length % 5 === 1) console.log(line);
  }, 1000);
  try {
    fleet.start();
    await fleet.waitFor((s) => s.hostsSynced >= size.hosts, timeoutMs, 20);
    const ackedSeconds = (performance.now() - started) / 1000;
    const want = size.hosts * size.containers;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const summary = await ctl.get<FleetSummary>('/api/v1/fleet/summary');
      if (summary.totals.containers >= want && summary.hosts.online >= size.hosts) break;
      if (Date.now() > deadline) throw new Error(`API shows ${summary.totals.containers}/${want} containers`);
      await sleep(50);
    }
    const visibleSeconds = (performance.now() - started) / 1000;
    const usage = await meter.end();
    const idleMeter = await PhaseMeter.begin(ctl);
    await sleep(idleSeconds * 1000);
    const idle = await idleMeter.end();
    return { fleet, enrollSeconds, ackedSeconds, visibleSeconds, usage, idle, timeline, final: fleet.snapshot() };
  } catch (err) {
    await meter.end();
    await fleet.stop();
    throw err;
  } finally {
    clearInterval(progress);
    if (process.stdout.isTTY) process.stdout.write('\n');
  }
}

export function syncReport(size: FleetSize, outcome: SyncOutcome, copy: CopyBaseline | null): ScenarioReport {
  const rows = size.hosts * size.containers;
  const rate = rows / outcome.visibleSeconds;
  const u = outcome.usage;
  const full = atTargetSize(size);
  const notJudged = `target at ${TARGET_HOSTS.toLocaleString('en-US')} x ${TARGET_CONTAINERS} only; not judged at this size`;
  const figures: Figure[] = [
    // The target counts until the API shows everything, not until the snapshots are acknowledged.
    figure('snapshots acked', outcome.ackedSeconds, 's'),
    figure('whole inventory visible in API', outcome.visibleSeconds, 's', {
      target: full ? { text: `<= ${TARGET_SYNC_S} s`, met: outcome.visibleSeconds <= TARGET_SYNC_S } : undefined,
      note: full ? undefined : notJudged,
    }),
    figure('ingest rate', rate, 'containers/s', {
      target: copy
        ? {
            text: `>= ${Math.round(copy.rowsPerSecond * TARGET_COPY_SHARE).toLocaleString('en-US')}/s (50% of COPY)`,
            met: rate >= copy.rowsPerSecond * TARGET_COPY_SHARE,
          }
        : undefined,
      baseline: copy
        ? { name: 'raw COPY', value: copy.rowsPerSecond, unit: 'rows/s', ratio: rate / copy.rowsPerSecond }
        : undefined,
    }),
    figure('controller CPU', u.controllerCpuSeconds, 'cpu-s', {
      note: `${((u.controllerCpuSeconds / u.seconds) * 100).toFixed(0)}% of one core`,
    }),
    figure('Postgres CPU (this database)', u.postgresCpuSeconds, 'cpu-s'),
    figure('simulator + bench CPU', u.benchCpuSeconds, 'cpu-s'),
    figure('other load on the machine', u.otherCpuSeconds, 'cpu-s', {
      note: 'CPU used by unrelated processes meanwhile',
    }),
    figure('controller peak RSS', u.controllerPeakRssBytes, 'bytes', {
      target: full ? { text: '<= 1.5 GiB', met: u.controllerPeakRssBytes <= TARGET_RSS } : undefined,
      note: full ? undefined : notJudged,
    }),
    figure(
      'idle fleet: controller CPU',
      (outcome.idle.controllerCpuSeconds / outcome.idle.seconds) * 100,
      '% of a core',
      {
        note: `Postgres ${((outcome.idle.postgresCpuSeconds / outcome.idle.seconds) * 100).toFixed(0)}% of a core; heartbeats only, over ${outcome.idle.seconds.toFixed(0)} s`,
      },
    ),
    figure('enrollment of every host (before the sync)', outcome.enrollSeconds, 's', {
      note: 'POST /api/v1/enroll, 16 at a time; not part of the sync figures',
    }),
    figure('reconnects during sync', outcome.final.disconnects, '', {
      note: outcome.final.lastError ? `last error: ${outcome.final.lastError}` : undefined,
    }),
  ];
  return {
    scenario: 'sync',
    params: { hosts: size.hosts, containers: size.containers, connectPerSecond: size.connectPerSecond },
    figures,
    details: { usage: u, idle: outcome.idle, timeline: outcome.timeline, copy, fleet: outcome.final },
  };
}
