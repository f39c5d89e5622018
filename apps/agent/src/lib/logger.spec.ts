import { describe, expect, it } from 'vitest';
import { JsonLogger } from './logger.js';

describe('JsonLogger', () => {
  it('writes one JSON line per entry at or above its level, with errors readable', () => {
    const lines: string[] = [];
    const sut = new JsonLogger('info', { component: 'test' }, (line) => lines.push(line));
    sut.debug('hidden');
    sut.warn('visible', { error: new Error('bad'), n: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'warn',
      msg: 'visible',
      component: 'test',
      n: 1,
      error: { name: 'Error', message: 'bad' },
    });
  });

  it('child loggers add bindings', () => {
    const lines: string[] = [];
    const sut = new JsonLogger('debug', {}, (line) => lines.push(line)).child({ collector: 'lxc' });
    sut.debug('x');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'debug', collector: 'lxc' });
  });
});
