import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Config } from '../config/config.js';
import type { Role } from '../dtos/auth.dto.js';
import type { SessionDto } from '../dtos/session.dto.js';
import { ApiTokenRepository } from '../repositories/api-token.repository.js';
import type { Clock } from '../repositories/clock.repository.js';
import { CLOCK, CONFIG } from '../repositories/tokens.js';
import { WebSessionRepository, type WebSessionRow } from '../repositories/web-session.repository.js';
import { ApiTokenService } from './api-token.service.js';
import { UnauthorizedError } from './errors.js';
import type { Principal } from './principal.js';
import { hashSecret } from './secrets.js';
import { StreamAccessService, type StreamSession } from './stream-access.service.js';

export const SESSION_COOKIE = 'corral_session';
export const CSRF_HEADER = 'x-corral-csrf';
// A session lasts this long at most, and never past its token's expiry.
export const SESSION_MAX_AGE_MS = 12 * 3600 * 1000;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type SessionCheck = { ok: true; principal: Principal } | { ok: false; reason: string; status: 401 | 403 };
export type UpgradeSessionCheck =
  | { ok: true; principal: Principal; session: StreamSession }
  | (SessionCheck & { ok: false });

export interface RequestLike {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface SessionStarted {
  session: SessionDto;
  principal: Principal;
  cookie: string;
}

// Sessions of the web page: an API token traded for a random id in an HttpOnly, SameSite=Strict
// cookie. Requests authenticated by the cookie act as the token; those that change something must
// also carry the session's CSRF token in X-Corral-CSRF and, when the browser sends one, a same-origin
// Origin (a form on another site can do neither).
@Injectable()
export class WebSessionService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: WebSessionRepository,
    private readonly tokens: ApiTokenService,
    private readonly tokenRows: ApiTokenRepository,
    @Optional() private readonly streams?: StreamAccessService,
  ) {}

  async start(token: string, req: RequestLike): Promise<SessionStarted> {
    const foreign = foreignOrigin(req);
    if (foreign) throw new UnauthorizedError(foreign);
    const check = await this.tokens.authenticate(token);
    if (!check.ok) throw new UnauthorizedError(check.reason);
    if (check.principal.kind !== 'token') throw new UnauthorizedError('only API tokens can sign in');
    const row = await this.tokenRows.findById(check.principal.id);
    if (!row) throw new UnauthorizedError('invalid bearer token');
    const now = this.clock.now();
    const cap = new Date(now.getTime() + SESSION_MAX_AGE_MS);
    const expiresAt = row.expiresAt && row.expiresAt < cap ? row.expiresAt : cap;
    await this.repo.deleteExpired(now);
    const secret = randomBytes(32).toString('base64url');
    const session = await this.repo.create({ secretHash: hashSecret(secret), tokenId: row.id, expiresAt });
    return {
      session: toSessionDto(session, row.name, row.role, secret),
      principal: check.principal,
      cookie: this.cookie(secret, expiresAt.getTime() - now.getTime()),
    };
  }

  // null when the request carries no session cookie (then the bearer token decides).
  async authenticate(req: RequestLike): Promise<SessionCheck | null> {
    const secret = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (secret === null) return null;
    const found = await this.lookup(secret);
    if (!found.ok) return found;
    if (!SAFE_METHODS.has(req.method.toUpperCase())) {
      const foreign = foreignOrigin(req);
      if (foreign) return refuse(403, foreign);
      const sent = header(req.headers[CSRF_HEADER]);
      if (!sent || !sameText(sent, csrfTokenOf(secret))) {
        return refuse(403, 'a request made with the session cookie must send the X-Corral-CSRF header');
      }
    }
    return { ok: true, principal: found.principal };
  }

  // A WebSocket upgrade (exec and log streams) with the cookie. The browser lets a page send no
  // header of its own there, so the Origin the browser sets must be present and ours: a page of
  // another origin (even on the same site, which gets our SameSite=Strict cookie) is refused.
  async authenticateUpgrade(req: RequestLike): Promise<UpgradeSessionCheck | null> {
    const secret = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (secret === null) return null;
    if (!header(req.headers.origin)) {
      return refuse(403, 'a stream opened with the session cookie must come from the page (no Origin was sent)');
    }
    const foreign = foreignOrigin(req);
    if (foreign) return refuse(403, foreign);
    const found = await this.lookup(secret);
    if (!found.ok) return found;
    return {
      ok: true,
      principal: found.principal,
      session: { secretHash: hashSecret(secret), expiresAt: found.expiresAt },
    };
  }

  private async lookup(
    secret: string,
  ): Promise<{ ok: true; principal: Principal; expiresAt: Date } | (SessionCheck & { ok: false })> {
    const found = await this.repo.findByHash(hashSecret(secret));
    const now = this.clock.now();
    if (!found || found.session.expiresAt <= now) return refuse(401, 'the session ended: sign in again');
    const { token } = found;
    if (token.revokedAt) return refuse(401, `the session's token ${token.prefix}… was revoked`);
    if (token.expiresAt && token.expiresAt <= now) return refuse(401, `the session's token ${token.prefix}… expired`);
    return {
      ok: true,
      principal: { kind: 'token', id: token.id, name: token.name, role: token.role as Role },
      expiresAt: found.session.expiresAt,
    };
  }

  // The session of this request's cookie, for the page to learn its role and CSRF token (401 when
  // there is none or it ended: the page shows its sign-in form).
  async describe(req: RequestLike): Promise<SessionDto> {
    const secret = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (secret === null) throw new UnauthorizedError('not signed in');
    const check = await this.authenticate({ method: 'GET', headers: req.headers });
    const found = check?.ok ? await this.repo.findByHash(hashSecret(secret)) : null;
    if (!check?.ok || !found) throw new UnauthorizedError(check && !check.ok ? check.reason : 'not signed in');
    return toSessionDto(found.session, found.token.name, found.token.role, secret);
  }

  // Ends the cookie's session; the answer's cookie clears it in the browser either way.
  async end(req: RequestLike): Promise<string> {
    const secret = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (secret !== null) {
      await this.repo.delete(hashSecret(secret));
      this.streams?.sessionEnded(hashSecret(secret));
    }
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAgeMs: number): string {
    const parts = [
      `${SESSION_COOKIE}=${value}`,
      'Path=/',
      `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`,
      'HttpOnly',
      'SameSite=Strict',
    ];
    if (this.config.tls) parts.push('Secure');
    return parts.join('; ');
  }
}

function refuse(status: 401 | 403, reason: string): SessionCheck & { ok: false } {
  return { ok: false, status, reason };
}

function toSessionDto(session: WebSessionRow, tokenName: string, role: string, secret: string): SessionDto {
  return {
    tokenId: session.tokenId,
    tokenName,
    role: role as Role,
    expiresAt: session.expiresAt.toISOString(),
    csrfToken: csrfTokenOf(secret),
  };
}

// Derived from the session id, so nothing more is stored; only a page that can read our answers has it.
export function csrfTokenOf(secret: string): string {
  return createHash('sha256').update(`corral-csrf\0${secret}`, 'utf8').digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// One cookie's value from a Cookie header; null when absent or empty.
export function readCookie(cookieHeader: string | string[] | undefined, name: string): string | null {
  const value = header(cookieHeader);
  if (!value) return null;
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const found = part.slice(eq + 1).trim();
    return found ? found : null;
  }
  return null;
}

// A reason to refuse when the browser says the request came from another origin than ours.
export function foreignOrigin(req: RequestLike): string | null {
  const origin = header(req.headers.origin);
  if (!origin) return null;
  const host = header(req.headers.host);
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `Origin ${origin} is not a URL`;
  }
  return host && originHost.toLowerCase() === host.toLowerCase()
    ? null
    : `requests from ${origin} may not use this session`;
}
