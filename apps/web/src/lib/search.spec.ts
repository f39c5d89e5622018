import { describe, expect, it } from 'vitest';
import { classifySearch } from './search.js';

describe('classifySearch', () => {
  it('tells addresses from names', () => {
    const sut = classifySearch;
    expect(sut(' 10.0.3.55 ')).toEqual({ kind: 'ip', value: '10.0.3.55' });
    expect(sut('FE80::1')).toEqual({ kind: 'ip', value: 'fe80::1' });
    expect(sut('02-42-AC-11-00-02')).toEqual({ kind: 'mac', value: '02:42:ac:11:00:02' });
    expect(sut('web-1')).toEqual({ kind: 'text', value: 'web-1' });
    expect(sut('10.0.3')).toEqual({ kind: 'text', value: '10.0.3' });
    expect(sut('de:ad')).toEqual({ kind: 'text', value: 'de:ad' });
    expect(sut('   ')).toEqual({ kind: 'empty' });
  });
});
