import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.js';

function leaves(cmd: Command, path: string[] = []): { path: string; cmd: Command }[] {
  const out = [{ path: [...path, cmd.name()].join(' '), cmd }];
  for (const sub of cmd.commands) out.push(...leaves(sub, [...path, cmd.name()]));
  return out;
}

function helpOf(cmd: Command): string {
  let text = '';
  const keep = (s: string) => {
    text += s;
  };
  cmd.configureOutput({ writeOut: keep, writeErr: keep });
  cmd.outputHelp();
  return text;
}

describe('the corral program', () => {
  const sut = buildProgram();
  const all = leaves(sut).filter(({ cmd }) => cmd.name() !== 'help');

  it('has examples in the help of every command', () => {
    const without = all.filter(({ cmd }) => !helpOf(cmd).includes('Examples:\n  $ corral')).map((c) => c.path);
    expect(without).toEqual([]);
    expect(all.length).toBeGreaterThan(60);
  });

  it('takes --json and -q on every command that prints', () => {
    const without = all.filter(
      ({ cmd }) => !cmd.options.some((o) => o.long === '--json') || !cmd.options.some((o) => o.short === '-q'),
    );
    expect(without.map((c) => c.path)).toEqual([]);
  });

  it('documents the exit codes', () => {
    const help = helpOf(sut);
    for (const code of ['0 ', '1 ', '2 ', '125', '130']) expect(help).toContain(`  ${code}`);
  });

  it('has every command the issue lists', () => {
    const names = new Set(all.map((c) => c.path.replace(/^corral ?/, '')));
    for (const n of [
      'login',
      'context use',
      'hosts ls',
      'hosts show',
      'hosts label',
      'hosts cordon',
      'hosts uncordon',
      'hosts drain',
      'hosts revoke',
      'hosts rm',
      'ps',
      'inspect',
      'run',
      'exec',
      'logs',
      'start',
      'stop',
      'restart',
      'kill',
      'pause',
      'unpause',
      'freeze',
      'unfreeze',
      'rm',
      'rename',
      'snapshot',
      'clone',
      'commit',
      'images ls',
      'images pull',
      'images save',
      'images load',
      'images copy',
      'images import',
      'images commit',
      'images tag',
      'images rm',
      'images prune',
      'registry add',
      'registry ls',
      'registry rm',
      'volumes ls',
      'networks ls',
      'bridges',
      'leases',
      'ip',
      'events',
      'commands ls',
      'commands show',
      'commands wait',
      'commands cancel',
      'tokens ls',
      'enroll-token',
      'audit',
      'completion',
    ]) {
      expect(names, n).toContain(n);
    }
  });
});
