import { backoffDelay } from '../../lib/backoff.js';
import type { Logger } from '../../lib/logger.js';
import type { Collector, CollectorOutput } from '../collector.js';
import { parseBridges } from './ip-json.parser.js';
import type { NetDriver } from './net.driver.js';

export interface BridgesCollectorOptions {
  driver: NetDriver;
  logger: Logger;
  restart?: { baseMs: number; maxMs: number };
}

export class BridgesCollector implements Collector {
  readonly name = 'bridges';

  constructor(private readonly options: BridgesCollectorOptions) {}

  async collect(): Promise<CollectorOutput> {
    let text: string;
    try {
      text = await this.options.driver.addrShow();
    } catch (error) {
      throw new Error(`Bridges: could not read links: ${(error as Error).message}`, { cause: error });
    }
    const { bridges, warnings } = parseBridges(text);
    for (const warning of warnings) this.options.logger.warn('skipped an ip link entry', { ...warning });
    return { bridges };
  }

  // Follows `ip monitor`; when it dies (iproute2 missing, namespace gone) it is restarted with backoff.
  watch(onChange: () => void): () => void {
    const { driver, logger } = this.options;
    const restart = this.options.restart ?? { baseMs: 1_000, maxMs: 60_000 };
    let stopped = false;
    let attempt = 0;
    let stopMonitor: (() => void) | null = null;
    let timer: NodeJS.Timeout | null = null;

    const start = (): void => {
      timer = null;
      if (stopped) return;
      const startedAt = Date.now();
      stopMonitor = driver.monitor(
        () => {
          attempt = 0;
          onChange();
        },
        (error) => {
          stopMonitor = null;
          if (stopped) return;
          // A monitor that ran for a while failed afresh; do not keep growing the delay.
          if (Date.now() - startedAt > restart.maxMs) attempt = 0;
          const delay = backoffDelay(attempt++, restart);
          logger.warn('ip monitor stopped, restarting', { error, delayMs: delay });
          onChange();
          timer = setTimeout(start, delay);
          timer.unref();
        },
      );
    };

    start();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      stopMonitor?.();
    };
  }
}
