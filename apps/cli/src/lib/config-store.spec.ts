import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, resolveTarget, saveConfig } from './config-store.js';
import { EXIT } from './errors.js';

describe('config store', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the file with mode 0600 and reads it back', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-cfg-'));
    const file = path.join(dir, 'corral/config.json');
    await saveConfig({ current: 'a', contexts: { a: { url: 'http://x', token: 't' } } }, file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadConfig(file)).toEqual({ current: 'a', contexts: { a: { url: 'http://x', token: 't' } } });
    expect(JSON.parse(await readFile(file, 'utf8')).current).toBe('a');
    expect(await loadConfig(path.join(dir, 'none.json'))).toEqual({ current: null, contexts: {} });
  });

  it('takes flags, then the environment, then the context', () => {
    const config = {
      current: 'a',
      contexts: { a: { url: 'http://a/', token: 'ta' }, b: { url: 'http://b', token: 'tb' } },
    };
    expect(resolveTarget(config, {}, {})).toEqual({ url: 'http://a', token: 'ta', context: 'a' });
    expect(resolveTarget(config, { context: 'b' }, {}).url).toBe('http://b');
    expect(resolveTarget(config, {}, { CORRAL_URL: 'http://env', CORRAL_TOKEN: 'te' })).toMatchObject({
      url: 'http://env',
      token: 'te',
    });
    expect(() => resolveTarget({ current: null, contexts: {} }, {}, {})).toThrow(
      expect.objectContaining({ exitCode: EXIT.usage }),
    );
    expect(() => resolveTarget(config, { context: 'zz' }, {})).toThrow(/no context named "zz"/);
  });
});
