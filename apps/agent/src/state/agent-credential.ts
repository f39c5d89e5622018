import { open, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';

export const CREDENTIAL_FILE = 'credential';

export interface StoredCredential {
  hostId: string;
  credential: string;
}

// The credential the controller issued at enrollment, or null before enrollment.
export async function loadCredential(stateDir: string): Promise<StoredCredential | null> {
  const file = path.join(stateDir, CREDENTIAL_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const mode = (await stat(file)).mode & 0o777;
  if (mode & 0o077) throw new Error(`${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
  let parsed: Partial<StoredCredential>;
  try {
    parsed = JSON.parse(text) as Partial<StoredCredential>;
  } catch {
    throw new Error(`${file} is not a credential file; delete it and enroll again`);
  }
  if (typeof parsed.credential !== 'string' || typeof parsed.hostId !== 'string') {
    throw new Error(`${file} is not a credential file; delete it and enroll again`);
  }
  return { hostId: parsed.hostId, credential: parsed.credential };
}

// Written to a private temporary file, flushed, then renamed: a crash leaves the old file or the new one.
export async function saveCredential(stateDir: string, stored: StoredCredential): Promise<void> {
  const file = path.join(stateDir, CREDENTIAL_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(stored)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}
