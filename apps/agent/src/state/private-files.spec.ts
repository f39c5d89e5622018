import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { STATE_FILES, securePrivateState } from './private-files.js';

const mode = async (p: string) => (await stat(p)).mode & 0o7777;

describe('securePrivateState', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'corral-state-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('makes the state dir 0700', async () => {
    const sut = path.join(root, 'a', 'state');
    await securePrivateState(sut);
    expect(await mode(sut)).toBe(0o700);
  });

  it('tightens a state dir and state files an older version left readable', async () => {
    const dir = path.join(root, 'old');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    for (const name of STATE_FILES) await writeFile(path.join(dir, name), 'x', { mode: 0o644 });
    await securePrivateState(dir, silentLogger);
    expect(await mode(dir)).toBe(0o700);
    for (const name of STATE_FILES) expect(await mode(path.join(dir, name))).toBe(0o600);
  });

  it('leaves a shared (sticky) directory alone and warns', async () => {
    const dir = path.join(root, 'shared');
    await mkdir(dir);
    await chmod(dir, 0o1777);
    const warnings: string[] = [];
    await securePrivateState(dir, { ...silentLogger, warn: (m: string) => warnings.push(m) });
    expect(await mode(dir)).toBe(0o1777);
    expect(warnings).toEqual([expect.stringContaining('shared directory')]);
  });
});
