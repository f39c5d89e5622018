import { readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../lib/run.js';
import { LXC_LS_COLUMNS } from './lxc-ls.parser.js';

// Thin wrappers over the lxc-* tools; parsing lives in the *.parser.ts files.
export interface LxcDriver {
  version(): Promise<string>;
  list(lxcPath: string, columns?: readonly string[]): Promise<string>;
  info(lxcPath: string, name: string): Promise<string>;
  readConfig(lxcPath: string, name: string): Promise<string>;
  // `ip -j addr show` inside the network namespace of the process `pid` (a running container's init).
  interfaces(pid: number): Promise<string>;
  // false when the lxcpath does not exist, which means "no containers there".
  pathExists(lxcPath: string): Promise<boolean>;
}

export interface LxcDriverOptions {
  // lxc-ls -f queries every container, so it gets more time than single-container calls.
  listTimeoutMs?: number;
  timeoutMs?: number;
}

export function createLxcDriver(options: LxcDriverOptions = {}): LxcDriver {
  const listTimeoutMs = options.listTimeoutMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async version() {
      return (await runCommand('lxc-ls', ['--version'], { timeoutMs })).stdout.trim();
    },
    async list(lxcPath, columns = LXC_LS_COLUMNS) {
      return (await runCommand('lxc-ls', ['-P', lxcPath, '-f', '-F', columns.join(',')], { timeoutMs: listTimeoutMs }))
        .stdout;
    },
    async info(lxcPath, name) {
      return (await runCommand('lxc-info', ['-P', lxcPath, '-n', name, '-H'], { timeoutMs })).stdout;
    },
    async interfaces(pid) {
      // A recycled pid of a host process would show the host's interfaces as the container's.
      const [target, own] = await Promise.all([readlink(`/proc/${pid}/ns/net`), readlink('/proc/self/ns/net')]);
      if (target === own) throw new Error(`process ${pid} is in the agent's own network namespace`);
      return (
        await runCommand('nsenter', ['--target', String(pid), '--net', 'ip', '-j', 'addr', 'show'], { timeoutMs })
      ).stdout;
    },
    readConfig(lxcPath, name) {
      return readFile(join(lxcPath, name, 'config'), 'utf8');
    },
    async pathExists(lxcPath) {
      try {
        return (await stat(lxcPath)).isDirectory();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    },
  };
}
