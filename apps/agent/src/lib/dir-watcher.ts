import { existsSync, type FSWatcher, watch } from 'node:fs';
import type { Logger } from './logger.js';

export interface DirWatchOptions {
  retryMs: number;
  // Only names passing this filter trigger onChange (null names, which some platforms send, always do).
  filter?: (fileName: string) => boolean;
}

// Watches each directory with inotify; a missing or vanished directory is retried, never fatal.
export function watchDirectories(
  dirs: readonly string[],
  onChange: () => void,
  logger: Logger,
  options: DirWatchOptions,
): () => void {
  let stopped = false;
  const watchers = new Map<string, FSWatcher>();
  const timers = new Set<NodeJS.Timeout>();

  const retryLater = (dir: string): void => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      arm(dir, true);
    }, options.retryMs);
    timer.unref();
    timers.add(timer);
  };

  const arm = (dir: string, isRetry: boolean): void => {
    if (stopped) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (event, fileName) => {
        // inotify goes quiet once the watched directory itself is removed: re-arm when it returns.
        if (event === 'rename' && !existsSync(dir)) {
          watcher.close();
          watchers.delete(dir);
          onChange();
          retryLater(dir);
          return;
        }
        if (fileName === null || !options.filter || options.filter(String(fileName))) onChange();
      });
    } catch (error) {
      logger.debug('directory not watchable yet, retrying', { dir, error });
      retryLater(dir);
      return;
    }
    watchers.set(dir, watcher);
    watcher.on('error', (error) => {
      logger.warn('directory watch failed, retrying', { dir, error });
      watcher.close();
      watchers.delete(dir);
      onChange();
      retryLater(dir);
    });
    // The directory appeared (or came back) while unwatched: its content may have changed.
    if (isRetry) onChange();
  };

  for (const dir of new Set(dirs)) arm(dir, false);

  return () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
}
