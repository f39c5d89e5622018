import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCredential, saveCredential } from './agent-credential.js';

describe('agent credential file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-credential-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is absent before enrollment, then written private and read back', async () => {
    expect(await loadCredential(dir)).toBeNull();
    await saveCredential(dir, { hostId: 'h1', credential: 'crl_agt_secret' });
    expect((await stat(path.join(dir, 'credential'))).mode & 0o777).toBe(0o600);
    expect(await loadCredential(dir)).toEqual({ hostId: 'h1', credential: 'crl_agt_secret' });
  });

  it('refuses a file others can read, and one that is not a credential', async () => {
    await saveCredential(dir, { hostId: 'h1', credential: 'c' });
    await chmod(path.join(dir, 'credential'), 0o644);
    await expect(loadCredential(dir)).rejects.toThrow(/chmod 600/);
    await writeFile(path.join(dir, 'credential'), 'garbage', { mode: 0o600 });
    await chmod(path.join(dir, 'credential'), 0o600);
    await expect(loadCredential(dir)).rejects.toThrow(/enroll again/);
  });
});
