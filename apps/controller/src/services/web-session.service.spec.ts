import { describe, expect, it } from 'vitest';
import { csrfTokenOf, foreignOrigin, readCookie } from './web-session.service.js';

describe('web session helpers', () => {
  it('reads one cookie among several and treats an empty one as absent', () => {
    const sut = readCookie;
    expect(sut('a=1; corral_session=abc; b=2', 'corral_session')).toBe('abc');
    expect(sut('corral_session=', 'corral_session')).toBeNull();
    expect(sut('xcorral_session=abc', 'corral_session')).toBeNull();
    expect(sut(undefined, 'corral_session')).toBeNull();
  });

  it('refuses another origin, accepts ours and requests without an Origin', () => {
    const headers = (origin?: string) => ({ method: 'POST', headers: { host: 'corral.example:7070', origin } });
    expect(foreignOrigin(headers('https://corral.example:7070'))).toBeNull();
    expect(foreignOrigin(headers())).toBeNull();
    expect(foreignOrigin(headers('https://evil.example'))).toContain('evil.example');
    expect(foreignOrigin(headers('null'))).toContain('not a URL');
  });

  it('derives a CSRF token per session that reveals nothing of the id', () => {
    const a = csrfTokenOf('session-a');
    expect(a).toBe(csrfTokenOf('session-a'));
    expect(a).not.toBe(csrfTokenOf('session-b'));
    expect(a).not.toContain('session-a');
  });
});
