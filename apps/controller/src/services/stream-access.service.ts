import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Clock } from '../repositories/clock.repository.js';
import { TokenStateRepository } from '../repositories/token-state.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import type { Principal } from './principal.js';

// Open streams' tokens are read again this often, so a token revoked elsewhere (another
// controller, the command line) or expiring ends its streams within this plus one query.
export const STREAM_TOKEN_CHECK_MS = 1_000;

interface OpenStream {
  tokenId: string;
  close(reason: string): void;
}

// Streams that outlive the request that authenticated them (exec and log sockets): each ends
// with a reason once its token is revoked, expires or is deleted.
@Injectable()
export class StreamAccessService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('StreamAccess');
  private readonly byToken = new Map<string, Set<OpenStream>>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
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

  // Registers a stream; `close` ends it with a reason. Returns what to call when it ends on its own.
  open(principal: Principal | undefined, close: (reason: string) => void): () => void {
    if (principal?.kind !== 'token') return () => {};
    const stream: OpenStream = { tokenId: principal.id, close };
    const streams = this.byToken.get(principal.id) ?? new Set<OpenStream>();
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
