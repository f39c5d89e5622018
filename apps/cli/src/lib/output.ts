// Colours only on a terminal (and never with NO_COLOR); tables everywhere, JSON with --json,
// ids only with -q.
const CODES = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  color?: (text: string, row: T) => Color | null;
}

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  stdout?: NodeJS.WriteStream | NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream | NodeJS.WritableStream;
  color?: boolean;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  readonly tty: boolean;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;

  constructor(opts: OutputOptions) {
    this.json = opts.json;
    this.quiet = opts.quiet;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.tty = Boolean((this.stdout as NodeJS.WriteStream).isTTY);
    this.color = opts.color ?? (this.tty && !process.env.NO_COLOR && process.env.TERM !== 'dumb');
  }

  paint(text: string, color: Color | null | undefined): string {
    return this.color && color ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  // Progress and notes go to stderr, so stdout stays what a script reads.
  note(text: string): void {
    if (!this.quiet && !this.json) this.stderr.write(`${text}\n`);
  }

  data(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  // A list: JSON array, ids, or a table.
  list<T>(rows: readonly T[], columns: readonly Column<T>[], id: (row: T) => string): void {
    if (this.json) {
      this.data(rows);
      return;
    }
    if (this.quiet) {
      for (const row of rows) this.line(id(row));
      return;
    }
    this.table(rows, columns);
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
    const cells = rows.map((row) => columns.map((c) => text(c.value(row))));
    const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
    const pad = (s: string, i: number) => (i === columns.length - 1 ? s : s.padEnd(widths[i]!));
    this.line(
      this.paint(
        columns
          .map((c, i) => pad(c.header, i))
          .join('   ')
          .trimEnd(),
        'bold',
      ),
    );
    rows.forEach((row, r) => {
      const line = columns.map((c, i) => {
        const cell = pad(cells[r]![i]!, i);
        return this.paint(cell, c.color?.(cells[r]![i]!, row));
      });
      this.line(line.join('   ').trimEnd());
    });
  }

  // One object: JSON, its id, or "key: value" lines.
  object(value: Record<string, unknown>, id: string, fields?: [string, unknown][]): void {
    if (this.json) {
      this.data(value);
      return;
    }
    if (this.quiet) {
      this.line(id);
      return;
    }
    const entries = fields ?? Object.entries(value);
    const width = Math.max(...entries.map(([k]) => k.length));
    for (const [k, v] of entries) this.line(`${this.paint(`${k}:`.padEnd(width + 1), 'bold')} ${text(v)}`);
  }
}

export function text(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(text).join(', ');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${text(v)}`).join(',');
  }
  return String(value);
}

export const stateColor = (state: string): Color | null => {
  if (/^(running|online|succeeded|up|ok)\b/.test(state)) return 'green';
  if (/^(exited|stopped|offline|failed|down|timed_out|dead|error)\b/.test(state)) return 'red';
  if (/^(paused|frozen|pending|sent|canceled|cordoned|restarting|created)\b/.test(state)) return 'yellow';
  return null;
};

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

// "512m", "1g", "1.5GiB", "123456" -> bytes.
export function parseBytes(value: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(value.trim());
  if (!m) return null;
  const power = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * 1024 ** power);
}

// "30s", "5m", "1h", "2d", "90" (seconds) -> seconds.
export function parseDuration(value: string): number | null {
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}
