import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { CommandTarget } from '@corral/protocol';
import { type CommandContext, CommandFailure } from '../../../executor/handler.js';
import { CommandError, type RunOptions, type RunResult, runCommand } from '../../../lib/run.js';
import { type AttachSpawner, spawnAttach } from './attach.process.js';
import { type CgroupLayout, detectCgroupLayout } from './cgroup-limits.js';
import { toFailure } from './lxc-error.js';

export type Runner = (cmd: string, args: readonly string[], options: RunOptions) => Promise<RunResult>;

export interface LxcOpsOptions {
  // lxcpaths this agent manages; the first is where containers are created when none is given.
  lxcPaths: string[];
  runner?: Runner;
  attach?: AttachSpawner;
  files?: LxcFiles;
  // Which cgroup keys carry memory and cpu limits; read from /sys/fs/cgroup when absent.
  cgroupLayout?: CgroupLayout;
}

// The file system as the ops need it: container config files and scratch files for lxc-* options.
export interface LxcFiles {
  readText(path: string): Promise<string>;
  writeText(path: string, text: string): Promise<void>;
  replaceText(path: string, text: string): Promise<void>;
  withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T>;
}

export interface LxcDeps {
  lxcPaths: string[];
  run: Runner;
  attach: AttachSpawner;
  files: LxcFiles;
  cgroupLayout(): Promise<CgroupLayout>;
}

export interface LxcRef {
  lxcPath: string;
  name: string;
}

export function lxcDeps(options: LxcOpsOptions): LxcDeps {
  if (options.lxcPaths.length === 0) throw new Error('LXC ops need at least one lxcpath');
  let layout: Promise<CgroupLayout> | null = options.cgroupLayout ? Promise.resolve(options.cgroupLayout) : null;
  return {
    lxcPaths: options.lxcPaths.map((p) => resolve(p)),
    run: options.runner ?? runCommand,
    attach: options.attach ?? spawnAttach,
    files: options.files ?? nodeFiles,
    cgroupLayout: () => {
      layout ??= detectCgroupLayout();
      return layout;
    },
  };
}

export const nodeFiles: LxcFiles = {
  readText: (path) => readFile(path, 'utf8'),
  writeText: (path, text) => writeFile(path, text, { mode: 0o600 }),
  // Written beside the file and renamed over it, so a crash never leaves half a config; the mode is kept.
  async replaceText(path, text) {
    const { mode } = await stat(path);
    const temp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
    try {
      await writeFile(temp, text, { mode: mode & 0o777 });
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  },
  async withTempDir(fn) {
    const dir = await mkdtemp(join(tmpdir(), 'corral-lxc-'));
    try {
      return await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

// The lxcpath to use: the given one if this agent manages it, else the default.
export function managedPath(deps: LxcDeps, lxcPath: string | null | undefined): string {
  if (lxcPath === null || lxcPath === undefined) return deps.lxcPaths[0]!;
  const wanted = resolve(lxcPath);
  if (!deps.lxcPaths.includes(wanted)) {
    throw new CommandFailure('invalid_params', `lxcpath ${lxcPath} is not one this agent manages`);
  }
  return wanted;
}

export function containerRef(deps: LxcDeps, target: CommandTarget): LxcRef {
  if (target.kind !== 'container' || target.runtime !== 'lxc') {
    throw new CommandFailure('invalid_params', 'the target must be an LXC container');
  }
  return { lxcPath: managedPath(deps, target.lxcPath), name: target.id };
}

// Time for one lxc-* call: its usual limit, but never past the command's deadline.
export function budget(ctx: CommandContext, limitMs: number): number {
  return Math.max(1_000, Math.min(limitMs, ctx.deadline.getTime() - Date.now()));
}

// Runs one lxc-* tool; failures become CommandFailure with the tool's own words.
export async function lxc(
  deps: LxcDeps,
  ctx: CommandContext,
  tool: string,
  args: string[],
  limitMs: number,
  // Turns failures the caller understands (e.g. "has clones") into a specific CommandFailure.
  classify?: (error: CommandError) => CommandFailure | null,
): Promise<RunResult> {
  if (ctx.signal.aborted) throw new CommandFailure('canceled', 'the command was canceled');
  try {
    return await deps.run(tool, args, { timeoutMs: budget(ctx, limitMs) });
  } catch (error) {
    const known = error instanceof CommandError && error.failure === 'exit' ? classify?.(error) : null;
    throw known ?? toFailure(error, tool);
  }
}

export const INFO_TIMEOUT_MS = 10_000;

// The container's state (RUNNING, STOPPED, FROZEN, ...); not_found when lxc-info says it does not exist.
export async function containerState(deps: LxcDeps, ctx: CommandContext, ref: LxcRef): Promise<string> {
  const args = ['-P', ref.lxcPath, '-n', ref.name, '-s', '-H'];
  try {
    const { stdout } = await deps.run('lxc-info', args, { timeoutMs: budget(ctx, INFO_TIMEOUT_MS) });
    return stdout.trim();
  } catch (error) {
    if (error instanceof CommandError && error.failure === 'exit' && /doesn't exist/.test(error.stderr)) {
      throw new CommandFailure('not_found', `LXC container ${ref.name} not found in ${ref.lxcPath}`);
    }
    throw toFailure(error, 'lxc-info');
  }
}

export async function containerExists(deps: LxcDeps, ctx: CommandContext, ref: LxcRef): Promise<boolean> {
  try {
    await containerState(deps, ctx, ref);
    return true;
  } catch (error) {
    if (error instanceof CommandFailure && error.code === 'not_found') return false;
    throw error;
  }
}

export function requireState(ref: LxcRef, state: string, allowed: string[], advice: string): void {
  if (allowed.includes(state)) return;
  throw new CommandFailure('conflict', `container ${ref.name} is ${state.toLowerCase()}; ${advice}`);
}

export function configPath(ref: LxcRef): string {
  return join(ref.lxcPath, ref.name, 'config');
}
