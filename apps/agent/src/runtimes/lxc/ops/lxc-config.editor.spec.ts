import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { setConfigKeys } from './lxc-config.editor.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../../test/fixtures/lxc/${name}`, import.meta.url), 'utf8');

describe('setConfigKeys', () => {
  it('replaces an existing key in place and appends new keys, leaving everything else as it was', () => {
    const original = fixture('config.busybox');
    const sut = setConfigKeys(original, [
      ['lxc.net.0.link', 'br1'],
      ['lxc.cgroup2.memory.max', '67108864'],
    ]);
    const expected = `${original.replace('lxc.net.0.link = lxcbr0', 'lxc.net.0.link = br1')}lxc.cgroup2.memory.max = 67108864\n`;
    expect(sut).toBe(expected);
  });

  it('collapses repeated lines of a set key into the first one', () => {
    const sut = setConfigKeys('lxc.cap.drop = a\nlxc.tty.max = 5\nlxc.cap.drop = b\n', [['lxc.cap.drop', 'c']]);
    expect(sut).toBe('lxc.cap.drop = c\nlxc.tty.max = 5\n');
  });

  it('leaves commented-out lines of the key alone', () => {
    const sut = setConfigKeys('#lxc.apparmor.profile = unconfined\n', [['lxc.apparmor.profile', 'generated']]);
    expect(sut).toBe('#lxc.apparmor.profile = unconfined\nlxc.apparmor.profile = generated\n');
  });

  it('matches keys written without spaces around "="', () => {
    expect(setConfigKeys('lxc.tty.max=5', [['lxc.tty.max', '2']])).toBe('lxc.tty.max = 2\n');
  });

  it('writes the last value when a key is given twice', () => {
    expect(
      setConfigKeys('', [
        ['lxc.tty.max', '1'],
        ['lxc.tty.max', '2'],
      ]),
    ).toBe('\nlxc.tty.max = 2\n');
  });

  it('refuses a value with a line break, which would add config lines of its own', () => {
    expect(() => setConfigKeys('', [['lxc.net.0.link', 'br0\nlxc.include = /etc/x']])).toThrow(/line break/);
  });

  it('refuses a key that is not an lxc.* key', () => {
    expect(() => setConfigKeys('', [['lxc.net.0.link = x\nlxc.a', 'y']])).toThrow(/not an lxc/);
  });
});
