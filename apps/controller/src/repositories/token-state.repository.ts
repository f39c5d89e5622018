import { Inject, Injectable } from '@nestjs/common';
import type { Db } from '../database/kysely.js';
import { anyOf } from './sql-helpers.js';
import { KYSELY } from './tokens.js';

export interface TokenState {
  id: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
}

// Whether API tokens still hold, for streams that outlive the request that checked them.
@Injectable()
export class TokenStateRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  // Tokens that no longer exist are absent.
  states(ids: readonly string[]): Promise<TokenState[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('ApiToken')
      .select(['id', 'revokedAt', 'expiresAt'])
      .where('id', '=', anyOf([...ids]))
      .execute();
  }
}
