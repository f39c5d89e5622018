import { describe, expect, it } from 'vitest';
import { consoleLogFileOf, tailOffset } from './lxc-console-log.stream.js';

describe('consoleLogFileOf', () => {
  it('takes the last setting, relative paths inside the container dir', () => {
    const sut = consoleLogFileOf(
      'lxc.console.logfile = /a.log\n# x\nlxc.console.logfile=console.log\n',
      '/var/lib/lxc/c1',
    );
    expect(sut).toBe('/var/lib/lxc/c1/console.log');
  });

  it('is null when unset, cleared, or only a longer key matches', () => {
    expect(consoleLogFileOf('lxc.console.path = none\n', '/d')).toBeNull();
    expect(consoleLogFileOf('lxc.console.logfile = /a\nlxc.console.logfile =\n', '/d')).toBeNull();
    expect(consoleLogFileOf('lxc.console.logfilex = /a\n', '/d')).toBeNull();
  });
});

describe('tailOffset', () => {
  const text = Buffer.from('one\ntwo\nthree\n');
  it('finds where the last lines begin', () => {
    expect(tailOffset(text, 100, 1)).toBe(108);
    expect(tailOffset(text, 100, 2)).toBe(104);
    expect(tailOffset(text, 100, 9)).toBe(100);
    expect(tailOffset(text, 100, 0)).toBe(114);
  });

  it('counts a last line without a newline', () => {
    expect(tailOffset(Buffer.from('a\nb'), 0, 1)).toBe(2);
  });
});
