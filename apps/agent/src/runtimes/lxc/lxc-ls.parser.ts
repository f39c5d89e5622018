import type { ParseWarning } from '../../lib/parse-warning.js';

export const LXC_LS_COLUMNS = [
  'NAME',
  'STATE',
  'PID',
  'IPV4',
  'IPV6',
  'AUTOSTART',
  'GROUPS',
  'RAM',
  'INTERFACE',
] as const;

export const LXC_STATES = [
  'STOPPED',
  'STARTING',
  'RUNNING',
  'STOPPING',
  'ABORTING',
  'FREEZING',
  'FROZEN',
  'THAWED',
] as const;
export type LxcState = (typeof LXC_STATES)[number];

export interface LxcLsRow {
  name: string;
  state: LxcState;
  pid: number | null;
  ipv4: string[];
  ipv6: string[];
  autostart: boolean | null;
  groups: string[];
  interfaces: string[];
}

export interface LxcLsResult {
  rows: LxcLsRow[];
  warnings: ParseWarning[];
}

interface Column {
  title: string;
  start: number;
}

// Parses `lxc-ls -f -F <columns>` by the header's column offsets; '-' means empty.
export function parseLxcLs(text: string): LxcLsResult {
  const lines = text.split('\n');
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex === -1) return { rows: [], warnings: [] };
  const columns = headerColumns(lines[headerIndex]!);
  const warnings: ParseWarning[] = [];
  if (!columns.some((c) => c.title === 'NAME')) {
    warnings.push({ line: headerIndex + 1, text: lines[headerIndex]!, reason: 'header has no NAME column' });
    return { rows: [], warnings };
  }
  const rows: LxcLsRow[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i]!.replace(/\s+$/, '');
    if (line === '') continue;
    const cells = splitCells(line, columns);
    const row = toRow(cells);
    if (typeof row === 'string') warnings.push({ line: i + 1, text: line, reason: row });
    else rows.push(row);
  }
  return { rows, warnings };
}

function headerColumns(header: string): Column[] {
  return [...header.matchAll(/\S+/g)].map((m) => ({ title: m[0].toUpperCase(), start: m.index }));
}

// Cuts a row at the header offsets, moving a cut right when a long value overflowed into the next column.
function splitCells(line: string, columns: readonly Column[]): Map<string, string> {
  const cells = new Map<string, string>();
  let from = 0;
  for (let c = 0; c < columns.length; c++) {
    let end = c + 1 < columns.length ? Math.max(columns[c + 1]!.start, from) : line.length;
    end = Math.min(end, line.length);
    for (;;) {
      const cell = line.slice(from, end).trim();
      const cutsToken = end > from && end < line.length && line[end - 1] !== ' ' && line[end] !== ' ';
      // lxc-ls prints '-' for empty cells, so an empty slice means the row is shifted right.
      const needsToken = cell === '' && end < line.length && c + 1 < columns.length;
      const continuesList = cell.endsWith(',') && end < line.length;
      if (cutsToken) {
        let tokenStart = end;
        while (tokenStart > from && line[tokenStart - 1] !== ' ') tokenStart--;
        const before = line.slice(from, tokenStart).trim();
        // The cell already holds its value, so the token belongs to the next column; else it overflowed.
        if (before !== '' && !before.endsWith(',')) end = tokenStart;
        else end = skip(line, end, false);
      } else if (needsToken || continuesList) end = skip(line, skip(line, end, true), false);
      else break;
    }
    cells.set(columns[c]!.title, line.slice(from, end).trim());
    from = end;
  }
  return cells;
}

// Advances past spaces (spaces=true) or past non-spaces.
function skip(line: string, index: number, spaces: boolean): number {
  let i = index;
  while (i < line.length && (line[i] === ' ') === spaces) i++;
  return i;
}

function toRow(cells: Map<string, string>): LxcLsRow | string {
  const name = value(cells.get('NAME'));
  if (!name || /\s/.test(name)) return `bad container name "${cells.get('NAME') ?? ''}"`;
  const stateText = (cells.get('STATE') ?? '').toUpperCase();
  if (!(LXC_STATES as readonly string[]).includes(stateText)) return `unknown state "${stateText}"`;
  const pidText = value(cells.get('PID'));
  const pid = pidText === null ? null : Number(pidText);
  if (pid !== null && !(Number.isInteger(pid) && pid > 0)) return `bad PID "${pidText}"`;
  const autostartText = value(cells.get('AUTOSTART'));
  return {
    name,
    state: stateText as LxcState,
    pid,
    ipv4: list(cells.get('IPV4')),
    ipv6: list(cells.get('IPV6')),
    autostart: autostartText === null ? null : autostartText === '1' || autostartText.toUpperCase() === 'YES',
    groups: list(cells.get('GROUPS')),
    interfaces: list(cells.get('INTERFACE')),
  };
}

function value(cell: string | undefined): string | null {
  const v = (cell ?? '').trim();
  return v === '' || v === '-' ? null : v;
}

function list(cell: string | undefined): string[] {
  const v = value(cell);
  if (v === null) return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== '-');
}
