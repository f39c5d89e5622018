import { describe, expect, it } from 'vitest';
import type { Config } from '../config/config.js';
import type { ApiTokenRepository, ApiTokenRow } from '../repositories/api-token.repository.js';
import { ApiTokenService } from './api-token.service.js';
import { hashSecret } from './secrets.js';

// A repository in memory that counts reads: the service's memory of tokens is what is tested.
class Tokens {
  reads = 0;
  rows = new Map<string, ApiTokenRow>();
  async findByHash(hash: string) {
    this.reads++;
    const row = this.rows.get(hash);
    return row ? { ...row } : null;
  }
  async findById(id: string) {
    return [...this.rows.values()].find((r) => r.id === id) ?? null;
  }
  async revoke(id: string, now: Date) {
    for (const r of this.rows.values()) if (r.id === id) r.revokedAt = now;
  }
  async touch() {}
}

const clock = { now: () => new Date() };
const secret = 'crl_api_test-secret';

function setup() {
  const repo = new Tokens();
  repo.rows.set(hashSecret(secret), {
    id: 't1',
    name: 'ci',
    role: 'operator',
    prefix: 'crl_api_test',
    secretHash: hashSecret(secret),
    createdBy: null,
    createdAt: new Date(),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: new Date(),
  } as ApiTokenRow);
  const sut = new ApiTokenService({} as Config, clock, repo as unknown as ApiTokenRepository);
  return { repo, sut };
}

describe('ApiTokenService.authenticate', () => {
  it('reads a token once for a burst of requests', async () => {
    const { repo, sut } = setup();
    for (let i = 0; i < 5; i++) expect((await sut.authenticate(secret)).ok).toBe(true);
    expect(repo.reads).toBe(1);
  });

  it('refuses a token revoked through it at once', async () => {
    const { repo, sut } = setup();
    expect((await sut.authenticate(secret)).ok).toBe(true);
    await sut.revoke('t1');
    expect(await sut.authenticate(secret)).toEqual({ ok: false, reason: 'token crl_api_test… was revoked' });
    expect(repo.reads).toBe(2);
  });

  it('does not remember secrets that match no token', async () => {
    const { repo, sut } = setup();
    for (let i = 0; i < 3; i++) expect((await sut.authenticate('crl_api_made-up')).ok).toBe(false);
    expect(repo.reads).toBe(3);
  });
});
