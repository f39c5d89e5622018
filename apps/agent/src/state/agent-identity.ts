import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

const ID_PATTERN = /^[A-Za-z0-9._-]{8,128}$/;

// The agent's stable id, kept in the state dir so a restarted agent is the same host.
export async function loadOrCreateAgentId(stateDir: string): Promise<string> {
  const file = path.join(stateDir, 'agent-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (!ID_PATTERN.test(id)) {
      throw new Error(`${file} holds an invalid agent id "${id.slice(0, 40)}"; delete the file to make a new one`);
    }
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const id = randomUUID();
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${id}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return id;
}
