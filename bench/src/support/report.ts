import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';
import { loadAverage } from './proc.js';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  // What Corral should reach, printed beside the figure; `met` says whether it did.
  target?: { text: string; met: boolean };
  // The same work done without Corral, and the figure as a share of it.
  baseline?: { name: string; value: number; unit: string; ratio: number };
  note?: string;
}

export interface ScenarioReport {
  scenario: string;
  params: Record<string, unknown>;
  figures: Figure[];
  // Per-step rows (churn steps, API queries) kept in the JSON for later comparison.
  details?: unknown;
}

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: {
    cpus: number;
    model: string;
    memoryBytes: number;
    node: string;
    loadBefore: number[];
    loadAfter: number[];
  };
  // Share of the machine's CPU in use over the whole run (the benchmark, its controller and Postgres, and
  // anything else running); each phase also reports the CPU others used during it.
  machineBusyShare: number | null;
  scenarios: ScenarioReport[];
}

export function figure(
  name: string,
  value: number,
  unit: string,
  extra: Omit<Figure, 'name' | 'value' | 'unit'> = {},
): Figure {
  return { name, value, unit, ...extra };
}

export function machineInfo(loadBefore: number[]): RunReport['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    loadBefore,
    loadAfter: loadAverage(),
  };
}

export const fmt = (v: number, unit: string) => {
  // Infinity is a latency percentile that fell on a failure: never answered.
  if (v === Number.POSITIVE_INFINITY) return 'never (failures)';
  if (!Number.isFinite(v)) return 'n/a';
  if (unit === 'bytes') return `${(v / 1024 ** 2).toFixed(0)} MiB`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })} ${unit}`.trim();
};

const ratioText = (r: number) => (r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2));

export function printTable(report: ScenarioReport): void {
  const rows = report.figures.map((f) => [
    f.name,
    fmt(f.value, f.unit),
    f.target ? `${f.target.text} ${f.target.met ? 'met' : 'MISSED'}` : '',
    f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value, f.baseline.unit)}` : '',
    f.baseline && Number.isFinite(f.baseline.ratio) ? `${ratioText(f.baseline.ratio)}x` : '',
    f.note ?? '',
  ]);
  const header = ['figure', 'value', 'target', 'baseline', 'value/baseline', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  const params = Object.entries(report.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(`\n== ${report.scenario} (${params})`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

export function writeReport(name: string, report: RunReport): string {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
