import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Config } from '../config/config.js';
import type { Clock } from '../repositories/clock.repository.js';
import { TokenStateRepository } from '../repositories/token-state.repository.js';
import { CLOCK, CONFIG } from '../repositories/tokens.js';
import { TooManyRequestsError } from './errors.js';
import type { Principal } from './principal.js';

// How often the tokens of open streams are checked again; a revoked or expired token's streams
// close within this (and at once when revoked through this controller).
export const STREAM_TOKEN_CHECK_MS = 1_000;

interface OpenStream {
  tokenId: string;
  close(reason: string): void;
}

// Long-lived streams opened with an API token (the SSE event stream; the exec and log sockets to
// come register here too): at most CORRAL_STREAMS_PER_TOKEN per token, and each closed with a
// reason once its token is revoked, expires or is deleted.
@Injectable()
export class StreamAccessService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('StreamAccess');
  private readonly byToken = new Map<string, Set<OpenStream>>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly tokens: TokenStateRepository,
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

  // Registers a stream; `close` ends it with a reason. Returns the function to call when it ends
  // on its own. 429 when the token has all the streams it may have.
  open(principal: Principal | undefined, close: (reason: string) => void): () => void {
    if (principal?.kind !== 'token') return () => {};
    const streams = this.byToken.get(principal.id) ?? new Set<OpenStream>();
    if (streams.size >= this.config.streamsPerToken) {
      throw new TooManyRequestsError(
        `token ${principal.name} already has ${streams.size} open streams (CORRAL_STREAMS_PER_TOKEN); close one first`,
        5,
      );
    }
    const stream: OpenStream = { tokenId: principal.id, close };
    streams.add(stream);
    this.byToken.set(principal.id, streams);
    return () => this.forget(stream);
  }

  // The token was revoked through this controller: its streams end now.
  revoked(tokenId: string): void {
    this.closeAll(tokenId, 'the token was revoked');
  }

  openStreams(tokenId?: string): number {
    if (tokenId) return this.byToken.get(tokenId)?.size ?? 0;
    let n = 0;
    for (const set of this.byToken.values()) n += set.size;
    return n;
  }

  // Revocations and expiries made anywhere (another controller, the command line) are seen here.
  async check(): Promise<void> {
    if (this.checking || this.byToken.size === 0) return;
    this.checking = true;
    try {
      const ids = [...this.byToken.keys()];
      const states = new Map((await this.tokens.states(ids)).map((s) => [s.id, s]));
      const now = this.clock.now();
      for (const id of ids) {
        const state = states.get(id);
        if (!state) this.closeAll(id, 'the token was deleted');
        else if (state.revokedAt) this.closeAll(id, 'the token was revoked');
        else if (state.expiresAt && state.expiresAt <= now) this.closeAll(id, 'the token expired');
      }
    } finally {
      this.checking = false;
    }
  }

  private closeAll(tokenId: string, reason: string): void {
    const streams = this.byToken.get(tokenId);
    if (!streams) return;
    this.byToken.delete(tokenId);
    for (const stream of streams) stream.close(reason);
    this.logger.log(`closed ${streams.size} stream(s) of token ${tokenId}: ${reason}`);
  }

  private forget(stream: OpenStream): void {
    const streams = this.byToken.get(stream.tokenId);
    if (!streams?.delete(stream)) return;
    if (streams.size === 0) this.byToken.delete(stream.tokenId);
  }
}
