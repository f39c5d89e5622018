import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const sut = new SecretBox(Buffer.alloc(32, 7));

  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const sealed = sut.seal('hunter2-registry');
    expect(sealed).not.toContain('hunter2');
    expect(sut.open(sealed)).toBe('hunter2-registry');
    expect(sut.seal('x')).not.toBe(sut.seal('x'));
  });

  it('refuses a tampered value and another key', () => {
    const sealed = sut.seal('secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('other!').toString('base64url');
    expect(() => sut.open(parts.join('.'))).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed)).toThrow();
  });
});

describe('loadSecretKey', () => {
  it('makes a 0600 key file at first start and reads the same key after', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corral-key-'));
    const first = loadSecretKey(null, dir);
    expect(first).toHaveLength(32);
    expect(statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(null, dir).equals(first)).toBe(true);
    expect(readFileSync(path.join(dir, 'secret.key'), 'utf8').trim()).toBe(first.toString('base64'));
  });

  it('takes the configured key over the file', () => {
    const key = Buffer.alloc(32, 1);
    expect(loadSecretKey(key, '/nonexistent-dir-not-made')).toBe(key);
  });
});
