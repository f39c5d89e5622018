import { type FSWatcher, watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { LogsStarter, StreamExit, StreamProcess } from '../../../streams/stream-process.js';
import { StreamFailure } from '../../../streams/stream-process.js';
import { configPath, containerRef, type LxcDeps } from '../ops/lxc-op.context.js';

const READ_BYTES = 64 * 1024;
// Watch events can be missed (the file replaced, an overlay): look again this often anyway.
const POLL_MS = 250;
// How far back the last lines are looked for.
const TAIL_SCAN_BYTES = 8 * 1024 * 1024;

// Pure: the console log file a container's config names (the last setting wins), or null.
export function consoleLogFileOf(configText: string, containerDir: string): string | null {
  let file: string | null = null;
  for (const raw of configText.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('lxc.console.logfile')) continue;
    const eq = line.indexOf('=');
    if (eq < 0 || line.slice(0, eq).trim() !== 'lxc.console.logfile') continue;
    const value = line.slice(eq + 1).trim();
    file = value === '' ? null : isAbsolute(value) ? value : join(containerDir, value);
  }
  return file;
}

// Pure: where the last `lines` lines of `text` (the file's end, read from `base`) begin.
export function tailOffset(text: Buffer, base: number, lines: number): number {
  if (lines === 0) return base + text.length;
  let end = text.length;
  // A last line without its newline counts as a line.
  if (end > 0 && text[end - 1] === 0x0a) end--;
  let seen = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (text[i] === 0x0a && ++seen === lines) return base + i + 1;
  }
  return base;
}

// `lxc.console.logfile`, followed like `tail -f` from the last `tail` lines: LXC writes there
// what the container prints on its console. Truncation starts over from the top.
export function lxcConsoleLogStream(deps: LxcDeps): LogsStarter {
  return async (target, params, output) => {
    const ref = containerRef(deps, target);
    if (params.since) {
      throw new StreamFailure(
        'invalid_params',
        'since: LXC console logs carry no times; use tail (Docker logs have since)',
      );
    }
    let config: string;
    try {
      config = await deps.files.readText(configPath(ref));
    } catch {
      throw new StreamFailure('not_found', `LXC container ${ref.name} not found in ${ref.lxcPath}`);
    }
    const file = consoleLogFileOf(config, join(ref.lxcPath, ref.name));
    if (!file) {
      throw new StreamFailure(
        'unsupported',
        `container ${ref.name} keeps no console log: set lxc.console.logfile in its config and restart it (containers Corral creates have one)`,
      );
    }
    const handle = await open(file, 'r').catch(() => {
      throw new StreamFailure('not_found', `the console log ${file} does not exist yet: start the container first`);
    });
    let offset = 0;
    if (params.tail !== null) {
      const size = (await handle.stat()).size;
      const from = Math.max(0, size - TAIL_SCAN_BYTES);
      const buf = Buffer.alloc(size - from);
      await handle.read(buf, 0, buf.length, from);
      offset = tailOffset(buf, from, params.tail);
    }
    let paused = false;
    let stopped = false;
    let wake: (() => void) | null = null;
    const nudge = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    let watcher: FSWatcher | null = null;
    if (params.follow) {
      try {
        watcher = watch(file, nudge);
        watcher.on('error', () => {});
      } catch {
        // Polling alone then.
      }
    }
    const sleep = () =>
      new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(nudge, POLL_MS).unref();
      });
    const loop = async (): Promise<StreamExit> => {
      const buf = Buffer.alloc(READ_BYTES);
      try {
        while (!stopped) {
          if (paused) {
            await sleep();
            continue;
          }
          const size = (await stat(file)).size;
          if (size < offset) offset = 0;
          const { bytesRead } = await handle.read(buf, 0, READ_BYTES, offset);
          if (bytesRead > 0) {
            offset += bytesRead;
            output('stdout', Buffer.from(buf.subarray(0, bytesRead)));
            continue;
          }
          if (!params.follow) break;
          await sleep();
        }
        return { exitCode: 0, signal: null };
      } finally {
        watcher?.close();
        await handle.close();
      }
    };
    const exited = loop();
    const process: StreamProcess = {
      write: async () => {},
      eof: () => {},
      resize: () => {},
      pause: () => {
        paused = true;
      },
      resume: () => {
        paused = false;
        nudge();
      },
      kill: async () => {
        stopped = true;
        nudge();
        await exited.catch(() => undefined);
      },
      exited,
    };
    return process;
  };
}
