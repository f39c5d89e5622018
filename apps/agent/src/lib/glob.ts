import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

// Node 20 has no fs.glob; lease paths only ever need wildcards in the file name.
export function basenamePattern(pattern: string): { dir: string; regex: RegExp } {
  const dir = dirname(pattern);
  if (/[*?[]/.test(dir)) throw new Error(`glob "${pattern}": wildcards are only supported in the file name`);
  const source = basename(pattern)
    .split('')
    .map((ch) => (ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return { dir, regex: new RegExp(`^${source}$`) };
}

// Files matching the pattern, sorted; a missing directory matches nothing.
export async function globFiles(pattern: string): Promise<string[]> {
  const { dir, regex } = basenamePattern(pattern);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => regex.test(name))
    .sort()
    .map((name) => (dir === '.' && !pattern.startsWith('./') ? name : `${dir}/${name}`));
}
