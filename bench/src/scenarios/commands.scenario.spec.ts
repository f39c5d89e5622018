import { describe, expect, it } from 'vitest';
import { outcomeOf } from './commands.scenario.js';

describe('outcomeOf', () => {
  it('is ok once the command succeeded within the wait', () => {
    expect(outcomeOf(202, { id: 'c', status: 'succeeded' })).toEqual({ kind: 'ok' });
  });

  it('is unfinished when the wait ran out first', () => {
    for (const status of ['pending', 'sent', 'running'])
      expect(outcomeOf(202, { status })).toEqual({ kind: 'unfinished' });
  });

  it('is an error for a command that ended otherwise, with its code', () => {
    expect(outcomeOf(202, { status: 'timed_out', error: { code: 'timeout' } })).toEqual({
      kind: 'error',
      message: 'command ended timed_out (timeout)',
    });
  });

  it('is an error for any other HTTP status, with the message the API gave', () => {
    expect(outcomeOf(404, { message: 'no container with id x' })).toEqual({
      kind: 'error',
      message: 'HTTP 404: no container with id x',
    });
    expect(outcomeOf(502, 'Bad Gateway')).toEqual({ kind: 'error', message: 'HTTP 502: Bad Gateway' });
  });
});
