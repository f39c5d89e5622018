import type { ParseWarning } from '../../../lib/parse-warning.js';

export interface LxcSnapshot {
  name: string;
  // ISO 8601; lxc-snapshot writes the host's local time without a zone, read here in the agent's zone.
  createdAt: string | null;
  comment: string | null;
}

export interface LxcSnapshotList {
  snapshots: LxcSnapshot[];
  warnings: ParseWarning[];
}

const TIMESTAMP = String.raw`(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})`;
// "snap0 (/var/lib/lxc/c1/snaps) 2026:11:29 07:01:51"
const HEADER = new RegExp(String.raw`^(\S+) \((.*)\) ${TIMESTAMP}$`);
// lxc-snapshot -C prints a comment file as it is, so one without a final newline runs into the next header.
const GLUED_HEADER = new RegExp(String.raw`^(.*?)(snap\d+) \((.*)\) ${TIMESTAMP}$`);

// Parses `lxc-snapshot -L -C`: a header line per snapshot, followed by the lines of its comment, if any.
export function parseLxcSnapshotList(text: string): LxcSnapshotList {
  const result: LxcSnapshotList = { snapshots: [], warnings: [] };
  if (text.trim() === 'No snapshots') return result;
  let current: { snapshot: LxcSnapshot; comment: string[] } | null = null;
  const finish = () => {
    if (!current) return;
    const comment = current.comment.join('\n').replace(/\n+$/, '');
    result.snapshots.push({ ...current.snapshot, comment: comment === '' ? null : comment });
  };
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = matchHeader(line, current !== null);
    if (header) {
      if (header.before && current) current.comment.push(header.before);
      finish();
      current = { snapshot: { name: header.name, createdAt: localIso(header.time), comment: null }, comment: [] };
    } else if (current) {
      current.comment.push(line);
    } else if (line.trim() !== '') {
      result.warnings.push({ line: i + 1, text: line, reason: 'text before the first snapshot header' });
    }
  }
  finish();
  result.snapshots.sort(byName);
  return result;
}

function matchHeader(line: string, afterHeader: boolean): { before: string; name: string; time: string[] } | null {
  const plain = HEADER.exec(line);
  if (plain) return { before: '', name: plain[1]!, time: plain.slice(3, 9) };
  const glued = afterHeader ? GLUED_HEADER.exec(line) : null;
  return glued ? { before: glued[1]!, name: glued[2]!, time: glued.slice(4, 10) } : null;
}

function localIso(parts: string[]): string | null {
  const [y, mo, d, h, mi, s] = parts.map(Number) as [number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi, s);
  return Number.isNaN(date.getTime()) || date.getMonth() !== mo - 1 ? null : date.toISOString();
}

// snap2 before snap10; lxc-snapshot lists in directory order.
function byName(a: LxcSnapshot, b: LxcSnapshot): number {
  return a.name.localeCompare(b.name, 'en', { numeric: true });
}
