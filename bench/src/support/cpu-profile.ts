import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

const shortUrl = (url: string) => {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const apps = url.indexOf('/apps/');
  if (apps >= 0) return url.slice(apps + 1);
  return url.replace(/^file:\/\//, '') || '(native)';
};

// Where a package or part of the app starts in a script URL: "pg-protocol", "@prisma/client", "apps/controller".
export const ownerOf = (url: string) => {
  const s = shortUrl(url);
  if (s.startsWith('apps/')) return s.split('/').slice(0, 2).join('/');
  if (s.startsWith('@')) return s.split('/').slice(0, 2).join('/');
  if (s.startsWith('node:')) return 'node (built-in)';
  return s.split('/')[0] || '(native)';
};

// Self time per function and per package from a V8 .cpuprofile, biggest first.
// `fromMicros` (CLOCK_MONOTONIC in µs, the clock of the profile's timestamps and of process.hrtime in
// any process on the machine) leaves out the samples taken before it, e.g. enrollment before a sync.
export function summarizeProfile(
  file: string,
  top = 25,
  fromMicros = 0,
): { totalMs: number; functions: ProfileEntry[]; packages: ProfileEntry[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < fromMicros) continue;
    self.set(id, (self.get(id) ?? 0) + delta / 1000);
  }
  const totalMs = (profile.endTime - Math.max(profile.startTime, fromMicros)) / 1000;
  const fn = new Map<string, ProfileEntry>();
  const pkg = new Map<string, ProfileEntry>();
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const e = fn.get(key) ?? { name, where, selfMs: 0, share: 0 };
    e.selfMs += ms;
    fn.set(key, e);
    const owner = url ? ownerOf(url) : name.startsWith('(') ? name : '(native)';
    const p = pkg.get(owner) ?? { name: owner, where: '', selfMs: 0, share: 0 };
    p.selfMs += ms;
    pkg.set(owner, p);
  }
  const rank = (m: Map<string, ProfileEntry>) =>
    [...m.values()]
      .map((e) => ({ ...e, share: e.selfMs / totalMs }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return { totalMs, functions: rank(fn), packages: rank(pkg) };
}

export function newestProfile(dir: string): string | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return null;
  return path.join(dir, files.sort().at(-1)!);
}

export function printProfile(file: string, fromMicros = 0): ReturnType<typeof summarizeProfile> {
  const summary = summarizeProfile(file, 25, fromMicros);
  const pct = (e: ProfileEntry) => `${(e.share * 100).toFixed(1).padStart(5)}%`;
  const window = fromMicros ? ', from the first measured phase on' : '';
  console.log(`\n== controller CPU profile ${file} (${(summary.totalMs / 1000).toFixed(1)} s wall${window})`);
  console.log('-- self time by package');
  for (const e of summary.packages.slice(0, 12))
    console.log(`${pct(e)}  ${e.selfMs.toFixed(0).padStart(7)} ms  ${e.name}`);
  console.log('-- self time by function');
  for (const e of summary.functions)
    console.log(`${pct(e)}  ${e.selfMs.toFixed(0).padStart(7)} ms  ${e.name}  ${e.where}`);
  return summary;
}
