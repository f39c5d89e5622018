import cliProgress from 'cli-progress';
import type { Output } from './output.js';

const interactive = (out: Output) => Boolean(process.stderr.isTTY) && !out.json && !out.quiet;

// Long work on a terminal: what runs, its state and for how long. Nothing when not a terminal.
export class Spinner {
  private bar: cliProgress.SingleBar | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly label: string,
    private readonly out: Output,
  ) {}

  start(status: string): void {
    if (!interactive(this.out)) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `${this.label}: {status} ({elapsed}s)`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(1, 0, { status, elapsed: 0 });
    this.timer = setInterval(() => this.bar?.update({ elapsed: this.elapsed() }), 500);
  }

  update(status: string): void {
    this.bar?.update({ status, elapsed: this.elapsed() });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.bar?.stop();
    this.bar = null;
  }

  private elapsed(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }
}

// Bytes moved (uploads, downloads): a bar when the size is known, a counter otherwise.
export class ByteProgress {
  private bar: cliProgress.SingleBar | null = null;
  private done = 0;

  constructor(
    label: string,
    private readonly total: number | null,
    out: Output,
  ) {
    if (!interactive(out)) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: total ? `${label} [{bar}] {percentage}% {value_mib}/{total_mib} MiB` : `${label} {value_mib} MiB`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total ?? 1, 0, { value_mib: '0.0', total_mib: mib(total ?? 0) });
  }

  add(bytes: number): void {
    this.done += bytes;
    this.bar?.update(this.total ? this.done : 0, { value_mib: mib(this.done) });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

const mib = (n: number) => (n / 1024 / 1024).toFixed(1);

// The last whole-transfer progress line a pull, load or save wrote to its command's output:
// {"progress":"pull","status":"pulling","current":N,"total":N} (per-layer lines carry "layer").
export function lastProgress(
  output: string | null | undefined,
): { status: string; current: number; total: number | null } | null {
  if (!output) return null;
  const lines = output.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!line.startsWith('{"progress"')) continue;
    try {
      const p = JSON.parse(line) as { layer?: string; status?: string; current?: number; total?: number | null };
      if (p.layer !== undefined || typeof p.current !== 'number') continue;
      return { status: p.status ?? '', current: p.current, total: typeof p.total === 'number' ? p.total : null };
    } catch {
      // A line cut by the output cap: look further up.
    }
  }
  return null;
}

// A command's transfer, as a bar of bytes (pulls, copies, loads); the command's status without one.
export class TransferBar {
  private bar: cliProgress.SingleBar | null = null;

  constructor(label: string, out: Output) {
    if (!interactive(out)) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% {value_mib}/{total_mib} MiB {status}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(1, 0, { value_mib: '0.0', total_mib: '?', status: 'pending' });
  }

  update(status: string, output: string | null | undefined): void {
    const p = lastProgress(output);
    if (!this.bar) return;
    if (!p) {
      this.bar.update({ status });
      return;
    }
    if (p.total) this.bar.setTotal(p.total);
    this.bar.update(p.total ? Math.min(p.current, p.total) : 0, {
      value_mib: mib(p.current),
      total_mib: p.total ? mib(p.total) : '?',
      status: p.status,
    });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
