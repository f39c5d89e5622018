import { describe, expect, it } from 'vitest';
import { attachArgs, parseExecUser } from './attach-args.js';

const base = { lxcPath: '/var/lib/lxc', name: 'c1', env: {} };

describe('attachArgs', () => {
  it('clears the environment and passes the command after --', () => {
    expect(attachArgs({ ...base, command: ['echo', 'hi there'] })).toEqual([
      '-P',
      '/var/lib/lxc',
      '-n',
      'c1',
      '--clear-env',
      '--',
      'echo',
      'hi there',
    ]);
  });

  it('sets variables, user and group', () => {
    const sut = attachArgs({ ...base, command: ['id'], env: { A: '1', B: 'x=y z' }, uid: 1000, gid: 100 });
    expect(sut.slice(4)).toEqual(['--clear-env', '-v', 'A=1', '-v', 'B=x=y z', '-u', '1000', '-g', '100', '--', 'id']);
  });

  it('enters the workdir through sh with the directory and command as arguments, never in the script', () => {
    const sut = attachArgs({ ...base, command: ['ls', '-l'], workdir: '/srv/a dir; rm -rf /' });
    const rest = sut.slice(sut.indexOf('--') + 1);
    expect(rest).toEqual([
      '/bin/sh',
      '-c',
      'cd -- "$1" || exit 126; shift; exec "$@"',
      'sh',
      '/srv/a dir; rm -rf /',
      'ls',
      '-l',
    ]);
  });
});

describe('parseExecUser', () => {
  it('reads a uid, a uid:gid and a name', () => {
    expect(parseExecUser('1000')).toEqual({ uid: 1000 });
    expect(parseExecUser('1000:50')).toEqual({ uid: 1000, gid: 50 });
    expect(parseExecUser('www-data')).toEqual({ name: 'www-data' });
  });

  it('refuses group names and odd text', () => {
    expect(parseExecUser('www-data:www-data')).toBeNull();
    expect(parseExecUser('-u0')).toBeNull();
    expect(parseExecUser('')).toBeNull();
  });
});
