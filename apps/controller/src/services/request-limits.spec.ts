import { describe, expect, it } from 'vitest';
import type { Config } from '../config/config.js';
import { TooManyRequestsError } from './errors.js';
import { RequestLimiter } from './request-limits.js';

const token = (id: string) => ({ kind: 'token' as const, id, name: id, role: 'viewer' as const });

describe('RequestLimiter', () => {
  const make = () => {
    const sut = new RequestLimiter({ requestsPerSecondPerToken: 2, requestBurstPerToken: 3 } as Config);
    let now = 0;
    sut.now = () => now;
    return { sut, advance: (ms: number) => (now += ms) };
  };

  it('lets a burst through, then refuses with the seconds to wait, and refills at the rate', () => {
    const { sut, advance } = make();
    for (let i = 0; i < 3; i++) sut.admit(token('a'));
    let refused: unknown;
    try {
      sut.admit(token('a'));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBe(1);
    advance(500);
    expect(() => sut.admit(token('a'))).not.toThrow();
    expect(() => sut.admit(token('a'))).toThrow(TooManyRequestsError);
  });

  it('keeps tokens apart, and never limits agents', () => {
    const { sut } = make();
    for (let i = 0; i < 3; i++) sut.admit(token('a'));
    expect(() => sut.admit(token('b'))).not.toThrow();
    const agent = { kind: 'agent' as const, hostId: 'h', hostname: 'h', credentialId: 'c' };
    for (let i = 0; i < 10; i++) sut.admit(agent);
  });
});
