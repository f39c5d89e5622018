import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../lib/logger.js';

// The agent's state (identity, credential, command journal with exec output) is its own: files 0600
// in a 0700 directory.
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

// Files the agent keeps in its state dir.
export const STATE_FILES = ['agent-id', 'credential', 'commands.journal'] as const;

// Makes the state dir (0700) and tightens what an earlier version left readable. A shared directory
// (sticky, like /tmp) is left alone with a warning: it is no place for the agent's state.
export async function securePrivateState(dir: string, logger?: Logger): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const info = await stat(dir);
  if (info.mode & 0o1000) {
    logger?.warn('the state dir is a shared directory; give the agent a dedicated CORRAL_STATE_DIR', { dir });
  } else if ((info.mode & 0o777) !== PRIVATE_DIR_MODE) {
    await chmod(dir, PRIVATE_DIR_MODE);
  }
  for (const name of STATE_FILES) await makePrivate(path.join(dir, name));
}

// chmod 0600 when the file exists.
export async function makePrivate(file: string): Promise<void> {
  try {
    await chmod(file, PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
