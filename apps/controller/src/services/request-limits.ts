import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { CONFIG } from '../repositories/tokens.js';
import { TooManyRequestsError } from './errors.js';
import type { Principal } from './principal.js';

interface Bucket {
  tokens: number;
  at: number;
}

// API requests per token: a token bucket of CORRAL_REQUEST_BURST_PER_TOKEN refilled at
// CORRAL_REQUESTS_PER_SECOND_PER_TOKEN; past it, 429 with Retry-After. One token's flood never
// takes the controller from the others.
@Injectable()
export class RequestLimiter implements OnModuleInit, OnModuleDestroy {
  private readonly buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | null = null;
  now: () => number = () => performance.now();

  constructor(@Inject(CONFIG) private readonly config: Config) {}

  onModuleInit(): void {
    // Buckets refilled to the brim hold nothing worth keeping.
    this.timer = setInterval(() => this.forgetFull(), 60_000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  admit(principal: Principal): void {
    if (principal.kind !== 'token') return;
    const rate = this.config.requestsPerSecondPerToken;
    const burst = this.config.requestBurstPerToken;
    const now = this.now();
    const bucket = this.buckets.get(principal.id) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(principal.id, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
    throw new TooManyRequestsError(
      `token ${principal.name} sent more than ${rate} requests a second (burst ${burst}); try again in ${seconds} s`,
      seconds,
    );
  }

  private forgetFull(): void {
    const now = this.now();
    const { requestsPerSecondPerToken: rate, requestBurstPerToken: burst } = this.config;
    for (const [id, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * rate >= burst) this.buckets.delete(id);
    }
  }
}
