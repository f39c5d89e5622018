#!/usr/bin/env node
import { type CliOptions, parseCliOptions } from './cli-options.js';
import { Fleet } from './fleet/fleet.js';
import type { FleetSnapshot } from './fleet/fleet-stats.js';

function progressLine(elapsedS: number, s: FleetSnapshot, prev: FleetSnapshot, dtS: number): string {
  const rate = (a: number, b: number) => Math.round((a - b) / dtS);
  return [
    `t=${elapsedS.toFixed(1)}s`,
    `connected ${s.connected}/${s.hosts}`,
    `synced ${s.hostsSynced}`,
    `snapshots ${s.snapshotsAcked}/${s.snapshotsSent} (queued ${s.snapshotQueue})`,
    `changes ${rate(s.changesOffered, prev.changesOffered)}/s offered, ${rate(s.changesSent, prev.changesSent)}/s sent`,
    `deltas ${rate(s.deltasAcked, prev.deltasAcked)}/s acked`,
    `backlog ${s.unackedDeltas} unacked + ${s.dirtyRecords} dirty`,
    `commands ${s.commandsAnswered}`,
    `reconnects ${s.disconnects}`,
    s.lastError ? `last error: ${s.lastError}` : '',
  ]
    .filter(Boolean)
    .join(' | ');
}

async function run(options: CliOptions): Promise<void> {
  const fleet = new Fleet(options.fleet);
  const started = Date.now();
  console.log(
    `simulating ${options.fleet.hosts} hosts x ${options.fleet.containersPerHost} containers against ${options.fleet.url}` +
      ` for ${options.durationSeconds} s, churn ${options.fleet.churnPerSecond}/s`,
  );
  fleet.start();
  let prev = fleet.snapshot();
  let prevAt = started;
  const progress = setInterval(() => {
    const now = Date.now();
    const s = fleet.snapshot();
    console.log(progressLine((now - started) / 1000, s, prev, (now - prevAt) / 1000));
    prev = s;
    prevAt = now;
  }, options.progressEveryMs);
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    await fleet.stop();
    const s = fleet.snapshot();
    console.log(
      `${why}: ${s.hostsSynced}/${s.hosts} hosts synced, ${s.deltasAcked}/${s.deltasSent} deltas acked, ` +
        `${s.changesSent} changes sent of ${s.changesOffered} made, ${s.commandsAnswered} commands answered, ` +
        `${s.disconnects} disconnects, ${s.errorFrames} error frames`,
    );
    process.exit(0);
  };
  setTimeout(() => void stop('done'), options.durationSeconds * 1000).unref();
  process.once('SIGINT', () => void stop('interrupted'));
  process.once('SIGTERM', () => void stop('terminated'));
}

let options: CliOptions;
try {
  options = parseCliOptions(process.argv.slice(2), process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
run(options).catch((err: Error) => {
  console.error(`simulator failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
