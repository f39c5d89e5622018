import { readdir, readFile } from 'node:fs/promises';

// Pure: parent pid from the text of /proc/<pid>/stat (the command name in parentheses may hold spaces).
export function parentPid(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

// Pure: `root` and every process below it, parents before children.
export function descendants(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (out.includes(pid)) continue;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

async function readParents(procDir: string): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const entry of await readdir(procDir)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = parentPid(await readFile(`${procDir}/${entry}/stat`, 'utf8'));
      if (ppid !== null) parents.set(Number(entry), ppid);
    } catch {
      // The process exited while we looked; it needs no signal.
    }
  }
  return parents;
}

// Sends SIGKILL to `pid` and everything it started. Returns the pids signalled.
export async function killProcessTree(pid: number, procDir = '/proc'): Promise<number[]> {
  const tree = descendants(pid, await readParents(procDir));
  const killed: number[] = [];
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL');
      killed.push(p);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  return killed;
}
