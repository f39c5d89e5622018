import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Config } from '../config/config.js';
import type { Clock } from '../repositories/clock.repository.js';
import { TokenStateRepository } from '../repositories/token-state.repository.js';
import { CLOCK, CONFIG } from '../repositories/tokens.js';
import { WebSessionRepository } from '../repositories/web-session.repository.js';
import { TooManyRequestsError } from './errors.js';
import type { Principal } from './principal.js';

// Open streams' tokens and sessions are read again this often, so a token revoked elsewhere
// (another controller, the command line), a session signed out elsewhere, or either expiring ends
// its streams within this plus one query.
export const STREAM_TOKEN_CHECK_MS = 1_000;

// The web session a stream was opened with (its cookie), when it was not a bearer token.
export interface StreamSession {
  secretHash: string;
  expiresAt: Date;
}

interface OpenStream {
  tokenId: string;
  session: StreamSession | null;
  close(reason: string): void;
}

// Streams that outlive the request that authenticated them (exec and log sockets): each ends
// with a reason once its token is revoked, expires or is deleted, or once the web session it was
// opened with ends (signed out, expired).
@Injectable()
export class StreamAccessService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('StreamAccess');
  private readonly streams = new Set<OpenStream>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly tokens: TokenStateRepository,
    private readonly sessions: WebSessionRepository,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.check().catch((err: Error) => this.logger.warn(`could not check stream tokens: ${err.message}`));
    }, STREAM_TOKEN_CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  // Registers a stream; `close` ends it with a reason. Returns what to call when it ends on its own.
  // 429 when the token has all the streams it may have (CORRAL_STREAMS_PER_TOKEN).
  open(principal: Principal | undefined, close: (reason: string) => void, session?: StreamSession): () => void {
    if (principal?.kind !== 'token') return () => {};
    const open = this.openStreams(principal.id);
    if (open >= this.config.streamsPerToken) {
      throw new TooManyRequestsError(
        `token ${principal.name} already has ${open} open streams (CORRAL_STREAMS_PER_TOKEN); close one first`,
        5,
      );
    }
    const stream: OpenStream = { tokenId: principal.id, session: session ?? null, close };
    this.streams.add(stream);
    return () => this.streams.delete(stream);
  }

  // The token was revoked through this controller: its streams end now.
  revoked(tokenId: string): void {
    this.closeWhere((s) => s.tokenId === tokenId, 'the token was revoked');
  }

  // The session was signed out through this controller: the streams opened with it end now.
  sessionEnded(secretHash: string): void {
    this.closeWhere((s) => s.session?.secretHash === secretHash, 'the session ended (signed out)');
  }

  openStreams(tokenId?: string): number {
    if (!tokenId) return this.streams.size;
    let n = 0;
    for (const s of this.streams) if (s.tokenId === tokenId) n += 1;
    return n;
  }

  async check(): Promise<void> {
    if (this.checking || this.streams.size === 0) return;
    this.checking = true;
    try {
      const open = [...this.streams];
      const tokenIds = [...new Set(open.map((s) => s.tokenId))];
      const hashes = [...new Set(open.flatMap((s) => (s.session ? [s.session.secretHash] : [])))];
      const [tokenRows, sessionRows] = await Promise.all([this.tokens.states(tokenIds), this.sessions.states(hashes)]);
      const tokens = new Map(tokenRows.map((t) => [t.id, t]));
      const sessions = new Map(sessionRows.map((s) => [s.secretHash, s]));
      const now = this.clock.now();
      for (const stream of open) {
        const reason = endReason(tokens.get(stream.tokenId), stream.session, sessions, now);
        if (!reason) continue;
        this.closeOne(stream, reason);
        this.logger.log(`closed a stream of token ${stream.tokenId}: ${reason}`);
      }
    } finally {
      this.checking = false;
    }
  }

  private closeWhere(match: (s: OpenStream) => boolean, reason: string): void {
    let n = 0;
    for (const stream of [...this.streams]) {
      if (!match(stream)) continue;
      this.closeOne(stream, reason);
      n += 1;
    }
    if (n > 0) this.logger.log(`closed ${n} stream(s): ${reason}`);
  }

  private closeOne(stream: OpenStream, reason: string): void {
    if (!this.streams.delete(stream)) return;
    stream.close(reason);
  }
}

function endReason(
  token: { revokedAt: Date | null; expiresAt: Date | null } | undefined,
  session: StreamSession | null,
  sessions: Map<string, { expiresAt: Date }>,
  now: Date,
): string | null {
  if (!token) return 'the token was deleted';
  if (token.revokedAt) return 'the token was revoked';
  if (token.expiresAt && token.expiresAt <= now) return 'the token expired';
  if (!session) return null;
  const row = sessions.get(session.secretHash);
  if (!row) return 'the session ended (signed out)';
  if (row.expiresAt <= now || session.expiresAt <= now) return 'the session expired';
  return null;
}
