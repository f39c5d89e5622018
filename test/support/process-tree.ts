import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  // One-letter state from /proc/<pid>/stat: Z is a zombie, already dead.
  state: string;
  command: string;
}

// A process's line in /proc, or null once it is gone.
export function processInfo(pid: number): ProcessInfo | null {
  let stat: string;
  let cmdline: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return null;
  }
  // The command name sits in parentheses and may hold spaces: fields follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, ppid: Number(fields[1]), state: fields[0]!, command: cmdline.split('\0').join(' ').trim() };
}

export function alive(pid: number): boolean {
  const info = processInfo(pid);
  return info !== null && info.state !== 'Z';
}

// Every process below `root` (children, their children, ...), read from /proc now.
export function descendants(root: number): ProcessInfo[] {
  const all: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = processInfo(Number(name));
    if (info) all.push(info);
  }
  const found: ProcessInfo[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}
