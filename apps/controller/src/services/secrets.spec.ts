import { describe, expect, it } from 'vitest';
import { bearerToken, hashMatches, hashSecret, newSecret, secretPrefix } from './secrets.js';

describe('secrets', () => {
  it('makes 32 random bytes, base64url, behind the kind prefix', () => {
    const sut = newSecret('agent');
    expect(sut).toMatch(/^crl_agt_[A-Za-z0-9_-]{43}$/);
    expect(newSecret('agent')).not.toBe(sut);
  });

  it('stores a SHA-256 and compares it in constant time', () => {
    const secret = newSecret('api');
    expect(hashSecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashMatches(secret, hashSecret(secret))).toBe(true);
    expect(hashMatches(`${secret}x`, hashSecret(secret))).toBe(false);
    expect(hashMatches(secret, 'short')).toBe(false);
  });

  it('keeps only the prefix and six characters in clear', () => {
    expect(secretPrefix('crl_enr_abcdefghijkl')).toBe('crl_enr_abcdef');
    expect(secretPrefix('my-own-admin-token-123')).toBe('my-o…');
  });

  it('reads the bearer scheme only', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken(['Bearer one', 'Bearer two'])).toBe('one');
  });
});
