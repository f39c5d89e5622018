import { type ChildProcess, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

let ticksPerSecond: number | null = null;

export function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

// User + system CPU seconds of a process so far, from /proc/<pid>/stat; null once it is gone. With
// `children`, also what its finished children used (the programs an agent runs, say).
export function cpuSeconds(pid: number, children = false): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: fields are counted from after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const own = Number(fields[11]) + Number(fields[12]);
  return (children ? own + Number(fields[13]) + Number(fields[14]) : own) / clockTicks();
}

// Peak and current resident set in bytes (VmHWM, VmRSS) from /proc/<pid>/status.
export function memory(pid: number): { peakRssBytes: number; rssBytes: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { peakRssBytes: kb('VmHWM'), rssBytes: kb('VmRSS') };
}

// Busy and total CPU time of the whole machine (all cores) in seconds, from /proc/stat.
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / clockTicks(), total: total / clockTicks() };
}

export function loadAverage(): number[] {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

// CPU used between two points by a set of processes (pids that vanished count what was last seen).
export class CpuMeter {
  private readonly start = new Map<number, number>();
  private readonly last = new Map<number, number>();

  constructor(
    private readonly pids: () => number[],
    private readonly children = false,
  ) {}

  begin(): void {
    this.start.clear();
    this.last.clear();
    this.sample();
    for (const [pid, s] of this.last) this.start.set(pid, s);
  }

  sample(): void {
    for (const pid of this.pids()) {
      const s = cpuSeconds(pid, this.children);
      if (s !== null) this.last.set(pid, s);
    }
  }

  seconds(): number {
    this.sample();
    let total = 0;
    for (const [pid, s] of this.last) total += s - (this.start.get(pid) ?? 0);
    return total;
  }
}

// SIGTERM, then SIGKILL if it has not exited within graceMs; resolves once it has exited.
export async function stopChild(child: ChildProcess | null, exited: Promise<unknown>, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// Keeps the last `keep` lines the child writes (stdout and stderr) in `output`; resolves with its exit code.
export function watchChild(child: ChildProcess, output: string[], keep = 500): Promise<number | null> {
  const add = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) output.push(line);
    if (output.length > keep) output.splice(0, output.length - keep);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
