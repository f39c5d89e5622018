import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Selectable } from 'kysely';
import type { DB, Db } from '../database/kysely.js';
import type { ApiTokenRow } from './api-token.repository.js';
import { KYSELY } from './tokens.js';

export type WebSessionRow = Selectable<DB['WebSession']>;
export interface WebSessionWithToken {
  session: WebSessionRow;
  token: ApiTokenRow;
}

export interface WebSessionState {
  secretHash: string;
  expiresAt: Date;
}

@Injectable()
export class WebSessionRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  create(session: { secretHash: string; tokenId: string; expiresAt: Date }): Promise<WebSessionRow> {
    return this.db
      .insertInto('WebSession')
      .values({ id: randomUUID(), ...session })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  // The session and the token it stands for, in one read: the token's revocation and expiry apply.
  async findByHash(secretHash: string): Promise<WebSessionWithToken | null> {
    const row = await webSessionQueries.findByHash(this.db, secretHash).executeTakeFirst();
    if (!row) return null;
    const { sessionId, sessionCreatedAt, sessionExpiresAt, ...token } = row;
    return {
      session: {
        id: sessionId,
        secretHash,
        tokenId: token.id,
        createdAt: sessionCreatedAt,
        expiresAt: sessionExpiresAt,
      },
      token,
    };
  }

  // Sessions that still exist, with their expiry; ended ones are absent.
  states(secretHashes: readonly string[]): Promise<WebSessionState[]> {
    if (secretHashes.length === 0) return Promise.resolve([]);
    return webSessionQueries.states(this.db, secretHashes).execute();
  }

  async delete(secretHash: string): Promise<boolean> {
    const result = await this.db.deleteFrom('WebSession').where('secretHash', '=', secretHash).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteExpired(now: Date): Promise<void> {
    await this.db.deleteFrom('WebSession').where('expiresAt', '<=', now).execute();
  }
}

export const webSessionQueries = {
  findByHash: (db: Db, secretHash: string) =>
    db
      .selectFrom('WebSession as s')
      .innerJoin('ApiToken as t', 't.id', 's.tokenId')
      .selectAll('t')
      .select(['s.id as sessionId', 's.createdAt as sessionCreatedAt', 's.expiresAt as sessionExpiresAt'])
      .where('s.secretHash', '=', secretHash),
  states: (db: Db, secretHashes: readonly string[]) =>
    db
      .selectFrom('WebSession')
      .select(['secretHash', 'expiresAt'])
      .where('secretHash', 'in', [...secretHashes]),
};
