import { describe, expect, it } from 'vitest';
import type { Config } from '../config/config.js';
import type { TokenState, TokenStateRepository } from '../repositories/token-state.repository.js';
import type { WebSessionRepository, WebSessionState } from '../repositories/web-session.repository.js';
import { TooManyRequestsError } from './errors.js';
import type { Principal } from './principal.js';
import { StreamAccessService } from './stream-access.service.js';

const NOW = new Date('2026-12-06T12:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);
const principal = (id: string): Principal => ({ kind: 'token', id, name: id, role: 'operator' });

function setup(streamsPerToken = 2) {
  const tokens = new Map<string, TokenState>();
  const sessions = new Map<string, WebSessionState>();
  const clock = { at: NOW, now: () => clock.at };
  const sut = new StreamAccessService(
    { streamsPerToken } as Config,
    clock,
    { states: async (ids: readonly string[]) => ids.flatMap((id) => tokens.get(id) ?? []) } as TokenStateRepository,
    {
      states: async (hashes: readonly string[]) => hashes.flatMap((h) => sessions.get(h) ?? []),
    } as WebSessionRepository,
  );
  const closed: string[] = [];
  const open = (name: string, tokenId: string, session?: { secretHash: string; expiresAt: Date }) =>
    sut.open(principal(tokenId), (reason) => closed.push(`${name}: ${reason}`), session);
  return { sut, tokens, sessions, clock, closed, open };
}

describe('StreamAccessService', () => {
  it('holds at most CORRAL_STREAMS_PER_TOKEN streams per token, and frees a place when one ends', () => {
    const { sut, open } = setup();
    const release = open('a', 't1');
    open('b', 't1');
    expect(() => open('c', 't1')).toThrow(TooManyRequestsError);
    open('d', 't2');
    release();
    expect(() => open('e', 't1')).not.toThrow();
    expect([sut.openStreams('t1'), sut.openStreams()]).toEqual([2, 3]);
  });

  it('ends the streams of a revoked, expired or deleted token and keeps the others', async () => {
    const { sut, tokens, closed, open } = setup();
    tokens.set('t1', { id: 't1', revokedAt: NOW, expiresAt: null });
    tokens.set('t2', { id: 't2', revokedAt: null, expiresAt: NOW });
    tokens.set('t4', { id: 't4', revokedAt: null, expiresAt: later(60_000) });
    open('a', 't1');
    open('b', 't2');
    open('c', 't3');
    open('d', 't4');
    await sut.check();
    expect(closed.sort()).toEqual(['a: the token was revoked', 'b: the token expired', 'c: the token was deleted']);
    expect(sut.openStreams()).toBe(1);
  });

  it('ends a stream opened with a web session once the session is signed out or expires', async () => {
    const { sut, tokens, sessions, clock, closed, open } = setup(3);
    tokens.set('t', { id: 't', revokedAt: null, expiresAt: null });
    sessions.set('s1', { secretHash: 's1', expiresAt: later(10_000) });
    sessions.set('s2', { secretHash: 's2', expiresAt: later(10_000) });
    open('bearer', 't');
    open('one', 't', { secretHash: 's1', expiresAt: later(10_000) });
    open('two', 't', { secretHash: 's2', expiresAt: later(10_000) });
    await sut.check();
    expect(closed).toEqual([]);
    sessions.delete('s1');
    await sut.check();
    expect(closed).toEqual(['one: the session ended (signed out)']);
    clock.at = later(10_000);
    await sut.check();
    expect(closed).toEqual(['one: the session ended (signed out)', 'two: the session expired']);
    expect(sut.openStreams('t')).toBe(1);
  });

  it('ends the streams of a session signed out or a token revoked here at once, and forgets ended streams', () => {
    const { sut, closed, open } = setup();
    const session = { secretHash: 's', expiresAt: later(10_000) };
    open('cookie', 't', session);
    const release = open('other', 't', { secretHash: 'x', expiresAt: later(10_000) });
    open('bearer', 'u');
    sut.sessionEnded('s');
    expect(closed).toEqual(['cookie: the session ended (signed out)']);
    release();
    sut.revoked('t');
    expect(closed).toEqual(['cookie: the session ended (signed out)']);
    sut.revoked('u');
    expect(closed).toEqual(['cookie: the session ended (signed out)', 'bearer: the token was revoked']);
    expect(sut.openStreams()).toBe(0);
  });
});
