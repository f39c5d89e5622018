import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

export interface TokenState {
  id: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
}

// Whether API tokens still hold, for streams that outlive the request that checked them.
@Injectable()
export class TokenStateRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  // Tokens that no longer exist are absent.
  states(ids: readonly string[]): Promise<TokenState[]> {
    return this.prisma.apiToken.findMany({
      where: { id: { in: [...ids] } },
      select: { id: true, revokedAt: true, expiresAt: true },
    });
  }
}
