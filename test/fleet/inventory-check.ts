import type { FleetApi } from './fleet-api.js';
import type { FleetHost } from './fleet-host.js';
import { sleep } from './run.js';

// How one host's inventory in the API differs from what its engines and lease file say.
export interface HostDiff {
  host: string;
  // In the engines, missing from the API.
  lost: string[];
  // The same engine object more than once in the API.
  duplicated: string[];
  // In the API, gone from the engines.
  ghosts: string[];
  // Present in both with a different state.
  wrongState: string[];
}

export interface FleetDiff {
  hosts: HostDiff[];
  lost: number;
  duplicated: number;
  ghosts: number;
  wrongState: number;
}

function diffKeys(
  engine: Map<string, string>,
  api: { key: string; state: string }[],
  diff: HostDiff,
  prefix: string,
): void {
  const seen = new Map<string, number>();
  for (const a of api) seen.set(a.key, (seen.get(a.key) ?? 0) + 1);
  for (const [key, count] of seen) if (count > 1) diff.duplicated.push(`${prefix}${key} x${count}`);
  for (const [key, state] of engine) {
    const hit = api.find((a) => a.key === key);
    if (!hit) diff.lost.push(`${prefix}${key}`);
    else if (state && hit.state !== state) diff.wrongState.push(`${prefix}${key}: engine ${state}, API ${hit.state}`);
  }
  for (const key of seen.keys()) if (!engine.has(key)) diff.ghosts.push(`${prefix}${key}`);
}

// Containers (Docker by id, LXC by name, with their states) and leases (by ip and MAC).
export async function compareHost(api: FleetApi, host: FleetHost, hostId: string): Promise<HostDiff> {
  const [view, containers, leases] = await Promise.all([host.engineView(), api.containers(hostId), api.leases(hostId)]);
  const diff: HostDiff = { host: host.name, lost: [], duplicated: [], ghosts: [], wrongState: [] };
  diffKeys(
    new Map(view.containers.map((c) => [`${c.runtime}:${c.key}`, c.state])),
    containers.map((c) => ({ key: `${c.runtime}:${c.runtime === 'docker' ? c.engineId : c.name}`, state: c.state })),
    diff,
    'container ',
  );
  diffKeys(
    new Map(view.leases.map((l) => [`${l.ip}/${l.mac}`, ''])),
    leases.map((l) => ({ key: `${l.ip}/${l.mac}`, state: '' })),
    diff,
    'lease ',
  );
  return diff;
}

export function summarize(hosts: HostDiff[]): FleetDiff {
  const sum = (f: (d: HostDiff) => string[]) => hosts.reduce((n, d) => n + f(d).length, 0);
  return {
    hosts,
    lost: sum((d) => d.lost),
    duplicated: sum((d) => d.duplicated),
    ghosts: sum((d) => d.ghosts),
    wrongState: sum((d) => d.wrongState),
  };
}

export function isClean(diff: FleetDiff): boolean {
  return diff.lost + diff.duplicated + diff.ghosts + diff.wrongState === 0;
}

export async function compareFleet(api: FleetApi, hosts: { host: FleetHost; id: string }[]): Promise<FleetDiff> {
  return summarize(await Promise.all(hosts.map((h) => compareHost(api, h.host, h.id))));
}

// Compares until the API equals the engines (or the time is up) and returns the last comparison
// with how long it took.
export async function waitConverged(
  api: FleetApi,
  hosts: { host: FleetHost; id: string }[],
  timeoutMs: number,
): Promise<{ ms: number; diff: FleetDiff; converged: boolean }> {
  const started = Date.now();
  let diff: FleetDiff | null = null;
  for (let round = 0; round < 10_000; round++) {
    diff = await compareFleet(api, hosts).catch(() => null);
    if (diff && isClean(diff)) return { ms: Date.now() - started, diff, converged: true };
    if (Date.now() - started > timeoutMs) break;
    await sleep(250);
  }
  diff ??= await compareFleet(api, hosts);
  return { ms: Date.now() - started, diff, converged: false };
}

export function describeDiff(diff: FleetDiff): string {
  return diff.hosts
    .filter((d) => d.lost.length + d.duplicated.length + d.ghosts.length + d.wrongState.length > 0)
    .map(
      (d) =>
        `${d.host}: lost [${d.lost.join(', ')}] duplicated [${d.duplicated.join(', ')}] ghosts [${d.ghosts.join(', ')}] wrong state [${d.wrongState.join(', ')}]`,
    )
    .join('\n');
}
