import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basenamePattern, globFiles } from './glob.js';

describe('globFiles', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corral-glob-'));
    for (const name of ['dnsmasq.lxcbr0.leases', 'dnsmasq.br0.leases', 'dnsmasq.conf', 'xdnsmasq.a.leases']) {
      await writeFile(join(dir, name), '');
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('matches * in the file name only, sorted', async () => {
    const sut = await globFiles(join(dir, 'dnsmasq.*.leases'));
    expect(sut).toEqual([join(dir, 'dnsmasq.br0.leases'), join(dir, 'dnsmasq.lxcbr0.leases')]);
  });

  it('treats dots literally and a missing directory as no match', async () => {
    expect(await globFiles(join(dir, 'dnsmasq.conf'))).toEqual([join(dir, 'dnsmasq.conf')]);
    expect(await globFiles(join(dir, 'missing', '*.leases'))).toEqual([]);
  });

  it('refuses wildcards in directories', () => {
    expect(() => basenamePattern('/var/*/x.leases')).toThrow(/only supported in the file name/);
  });
});
