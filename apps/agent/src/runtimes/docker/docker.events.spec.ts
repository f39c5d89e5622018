import { describe, expect, it } from 'vitest';
import { isRelevant, splitEvents } from './docker.events.js';

describe('splitEvents', () => {
  it('splits newline-delimited events and keeps the unfinished tail', () => {
    const first = JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'abc' } });
    const sut = splitEvents(`${first}\n{"Type":"net`);
    expect(sut.events).toEqual([{ type: 'container', action: 'start', id: 'abc' }]);
    expect(sut.rest).toBe('{"Type":"net');
  });

  it('turns a garbled line into an unknown event rather than dropping it', () => {
    expect(splitEvents('not json\n').events).toEqual([{ type: 'unknown', action: 'unknown', id: null }]);
  });

  it('ignores exec and attach noise', () => {
    const events = [
      { type: 'container', action: 'exec_start: sh -c ls', id: 'a' },
      { type: 'container', action: 'attach', id: 'a' },
      { type: 'container', action: 'die', id: 'a' },
      { type: 'container', action: 'health_status: healthy', id: 'a' },
    ];
    expect(events.filter(isRelevant).map((e) => e.action)).toEqual(['die', 'health_status: healthy']);
  });
});
