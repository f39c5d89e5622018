import { describe, expect, it } from 'vitest';
import { REDACTED, redactLogFields, redactUrl } from './log-redaction.js';

describe('redactLogFields', () => {
  it('takes out headers, cookies, registry passwords and registryAuth at any depth', () => {
    const line = {
      msg: 'pull',
      req: { headers: { Authorization: 'Bearer crl_api_secret', cookie: 'corral_session=abc', accept: '*/*' } },
      params: { image: 'busybox', registryAuth: { username: 'u', password: 'hunter2' } },
      registry: { url: 'https://r.example', username: 'bob', password: 'pw' },
      items: [{ token: 'crl_enr_x' }, { name: 'kept' }],
    };
    const sut = redactLogFields(line);
    expect(sut).toEqual({
      msg: 'pull',
      req: { headers: { Authorization: REDACTED, cookie: REDACTED, accept: '*/*' } },
      params: { image: 'busybox', registryAuth: REDACTED },
      registry: { url: 'https://r.example', username: 'bob', password: REDACTED },
      items: [{ token: REDACTED }, { name: 'kept' }],
    });
    // The caller's object is left as it was.
    expect(line.registry.password).toBe('pw');
    expect(JSON.stringify(sut)).not.toMatch(/hunter2|crl_api_secret|abc|crl_enr_x|"pw"/);
  });

  it('masks env values that look secret, as command events do, and keeps the others', () => {
    const sut = redactLogFields({
      commandId: 'c1',
      params: { env: { DB_PASSWORD: 'p4ss', API_KEY: 'k', TZ: 'UTC' } },
    }) as { params: { env: Record<string, string> } };
    expect(sut.params.env.TZ).toBe('UTC');
    expect(sut.params.env.DB_PASSWORD).not.toBe('p4ss');
    expect(sut.params.env.API_KEY).not.toBe('k');
  });

  it('returns the same object when there is nothing to take out', () => {
    const line = { msg: 'plain', commandId: 'c1', hostId: 'h1', nested: { a: [1, 2] } };
    expect(redactLogFields(line)).toBe(line);
  });
});

describe('redactUrl', () => {
  it('replaces secret-looking query values and keeps the rest', () => {
    expect(redactUrl('/api/v1/events?token=abc&kind=container')).toBe(
      '/api/v1/events?token=%5Bredacted%5D&kind=container',
    );
    expect(redactUrl('/api/v1/streams/x?access_token=zz')).not.toContain('zz');
    expect(redactUrl('/api/v1/hosts?limit=5')).toBe('/api/v1/hosts?limit=5');
    expect(redactUrl('/api/v1/hosts')).toBe('/api/v1/hosts');
  });
});
