import { CorralApiError, CorralStreamError } from '@corral/client';
import { describe, expect, it } from 'vitest';
import { describeError, EXIT } from './errors.js';

describe('describeError', () => {
  it('names the candidates of an ambiguous name and how to pick one', () => {
    const sut = describeError(
      new CorralApiError(
        409,
        {
          error: 'ambiguous',
          message: '"web" names 2 containers',
          candidates: [
            { id: '11111111-2222-3333-4444-555555555555', name: 'web', hostId: 'h1', hostname: 'a' },
            { id: '21111111-2222-3333-4444-555555555555', name: 'web', hostId: 'h2', hostname: 'b' },
          ],
        },
        'GET',
        '/x',
      ),
      null,
    );
    expect(sut.message).toContain('a/web (11111111), b/web (21111111)');
    expect(sut.fix).toContain('HOST/NAME');
    expect(sut.exitCode).toBe(EXIT.failure);
  });

  it('says what to do about a refused token, and uses 125 for attached commands', () => {
    const refused = new CorralApiError(
      401,
      { error: 'unauthorized', message: 'token crl_api_x… expired' },
      'GET',
      '/x',
    );
    expect(describeError(refused, null).fix).toContain('corral login');
    expect(describeError(refused, null, true).exitCode).toBe(EXIT.corral);
  });

  it('treats an unreachable controller and a cut stream as Corral failing', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const sut = describeError(refused, 'http://c:7070');
    expect(sut).toMatchObject({ exitCode: EXIT.corral });
    expect(sut.message).toContain('http://c:7070');
    const cut = new CorralStreamError({
      kind: 'error',
      code: 'agent_disconnected',
      message: 'agent gone',
      retryable: true,
    });
    expect(describeError(cut, null).exitCode).toBe(EXIT.corral);
    const missing = new CorralStreamError({
      kind: 'error',
      code: 'not_running',
      message: 'not running',
      retryable: false,
    });
    expect(describeError(missing, null).exitCode).toBe(EXIT.failure);
  });
});
