import { describe, expect, it } from 'vitest';
import type { Config } from '../config/config.js';
import type { TokenState, TokenStateRepository } from '../repositories/token-state.repository.js';
import { TooManyRequestsError } from './errors.js';
import { StreamAccessService } from './stream-access.service.js';

const token = (id: string) => ({ kind: 'token' as const, id, name: id, role: 'viewer' as const });

describe('StreamAccessService', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const make = (states: TokenState[] = []) => {
    const repo = { states: async (ids: readonly string[]) => states.filter((s) => ids.includes(s.id)) };
    const sut = new StreamAccessService(
      { streamsPerToken: 2 } as Config,
      { now: () => now },
      repo as unknown as TokenStateRepository,
    );
    return { sut };
  };

  it('holds at most CORRAL_STREAMS_PER_TOKEN streams per token, and frees a place when one ends', () => {
    const { sut } = make();
    const release = sut.open(token('a'), () => {});
    sut.open(token('a'), () => {});
    expect(() => sut.open(token('a'), () => {})).toThrow(TooManyRequestsError);
    sut.open(token('b'), () => {});
    release();
    expect(() => sut.open(token('a'), () => {})).not.toThrow();
    expect([sut.openStreams('a'), sut.openStreams()]).toEqual([2, 3]);
  });

  it('closes the streams of revoked, expired and deleted tokens with the reason, and keeps the rest', async () => {
    const { sut } = make([
      { id: 'revoked', revokedAt: now, expiresAt: null },
      { id: 'expired', revokedAt: null, expiresAt: new Date(now.getTime() - 1) },
      { id: 'fine', revokedAt: null, expiresAt: new Date(now.getTime() + 60_000) },
    ]);
    const reasons: Record<string, string> = {};
    for (const id of ['revoked', 'expired', 'fine', 'deleted']) sut.open(token(id), (r) => (reasons[id] = r));
    await sut.check();
    expect(reasons).toEqual({
      revoked: 'the token was revoked',
      expired: 'the token expired',
      deleted: 'the token was deleted',
    });
    expect(sut.openStreams('fine')).toBe(1);
    expect(sut.openStreams()).toBe(1);
  });

  it('closes a token streams at once when it is revoked here', () => {
    const { sut } = make();
    const reasons: string[] = [];
    sut.open(token('a'), (r) => reasons.push(r));
    sut.open(token('a'), (r) => reasons.push(r));
    sut.revoked('a');
    expect(reasons).toEqual(['the token was revoked', 'the token was revoked']);
    expect(sut.openStreams('a')).toBe(0);
  });
});
