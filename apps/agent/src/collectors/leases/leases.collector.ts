import type { LeaseRecord } from '@corral/protocol';
import { watchDirectories } from '../../lib/dir-watcher.js';
import type { Logger } from '../../lib/logger.js';
import type { Collector, CollectorOutput } from '../collector.js';
import type { LeaseSource } from './lease.source.js';
import { bridgeFromLeaseFile, parseLeaseFile } from './lease-file.parser.js';

export interface LeasesCollectorOptions {
  source: LeaseSource;
  logger: Logger;
}

export class LeasesCollector implements Collector {
  readonly name = 'leases';

  constructor(private readonly options: LeasesCollectorOptions) {}

  async collect(): Promise<CollectorOutput> {
    const { source, logger } = this.options;
    const leases: LeaseRecord[] = [];
    let files: string[];
    try {
      files = await source.files();
    } catch (error) {
      throw new Error(`Leases: could not list lease files: ${(error as Error).message}`, { cause: error });
    }
    for (const file of files) {
      let text: string | null;
      try {
        text = await source.read(file);
      } catch (error) {
        throw new Error(`Leases: could not read ${file}: ${(error as Error).message}`, { cause: error });
      }
      if (text === null) continue;
      const parsed = parseLeaseFile(text, { source: file, bridge: bridgeFromLeaseFile(file) });
      for (const warning of parsed.warnings) logger.warn('skipped a lease line', { file, ...warning });
      leases.push(...parsed.leases);
    }
    return { leases };
  }

  // dnsmasq rewrites or replaces lease files, so watch their directories rather than the files.
  watch(onChange: () => void): () => void {
    const targets = this.options.source.watchTargets();
    const stops = [...new Set(targets.map((t) => t.dir))].map((dir) => {
      const regexes = targets.filter((t) => t.dir === dir).map((t) => t.regex);
      return watchDirectories([dir], onChange, this.options.logger, {
        retryMs: 5_000,
        filter: (name) => regexes.some((r) => r.test(name)),
      });
    });
    return () => {
      for (const stop of stops) stop();
    };
  }
}
