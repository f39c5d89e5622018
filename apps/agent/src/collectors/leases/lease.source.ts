import { readFile } from 'node:fs/promises';
import { basenamePattern, globFiles } from '../../lib/glob.js';

export const DEFAULT_LEASE_GLOBS = '/var/lib/misc/dnsmasq.*.leases';

// Where lease files are found and read; tests hand in another.
export interface LeaseSource {
  files(): Promise<string[]>;
  // null when the file vanished since it was listed.
  read(file: string): Promise<string | null>;
  // Directories to watch, each with the file-name pattern that matters there.
  watchTargets(): { dir: string; regex: RegExp }[];
}

// globs: patterns (or one colon-separated string of them) with wildcards in the file name only.
export function createFileLeaseSource(globs: string | readonly string[] = DEFAULT_LEASE_GLOBS): LeaseSource {
  const patterns = (typeof globs === 'string' ? globs.split(':') : globs).map((p) => p.trim()).filter(Boolean);
  const targets = patterns.map(basenamePattern);
  return {
    async files() {
      const lists = await Promise.all(patterns.map(globFiles));
      return [...new Set(lists.flat())];
    },
    async read(file) {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    watchTargets() {
      return targets;
    },
  };
}
