import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Selectable, sql } from 'kysely';
import type { Pool } from 'pg';
import type { DB, Db } from '../database/kysely.js';
import { transaction } from '../database/transaction.js';
import { lockEnrollment, takeEnrolledName } from './enrollment-lock.js';
import { KYSELY, PG_POOL } from './tokens.js';

export type EnrollmentTokenRow = Selectable<DB['EnrollmentToken']>;

export interface NewEnrollmentToken {
  name: string | null;
  prefix: string;
  secretHash: string;
  maxUses: number;
  allowTakeover: boolean;
  createdBy: string | null;
  expiresAt: Date;
}

export interface EnrollInput {
  tokenHash: string;
  agentId: string;
  hostname: string;
  credential: { prefix: string; secretHash: string };
  now: Date;
}

export type EnrollOutcome =
  | { kind: 'token-refused' }
  | {
      kind: 'enrolled';
      hostId: string;
      // The host already had an agent (with a live credential or another agent id) and was taken over.
      tookOver: boolean;
      token: { id: string; name: string | null; prefix: string };
    };

// Enrollment would take over a host: `by` says what the new agent has in common with it.
export class EnrollmentConflict extends Error {
  constructor(
    readonly by: 'agentId' | 'hostname',
    readonly hostId: string,
    readonly hostname: string,
    readonly count = 1,
  ) {
    super(`enrollment conflicts with host ${hostId} by ${by}`);
  }
}

// Rolls the enrollment transaction back when the token has no use left.
class TokenRefused extends Error {}

@Injectable()
export class EnrollmentRepository {
  constructor(
    @Inject(KYSELY) private readonly db: Db,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  createToken(token: NewEnrollmentToken): Promise<EnrollmentTokenRow> {
    return this.db
      .insertInto('EnrollmentToken')
      .values({ id: randomUUID(), ...token })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  listTokens(): Promise<EnrollmentTokenRow[]> {
    return this.db
      .selectFrom('EnrollmentToken')
      .selectAll()
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .execute();
  }

  async findToken(id: string): Promise<EnrollmentTokenRow | null> {
    return (await this.db.selectFrom('EnrollmentToken').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async findTokenByHash(secretHash: string): Promise<EnrollmentTokenRow | null> {
    return (
      (await this.db
        .selectFrom('EnrollmentToken')
        .selectAll()
        .where('secretHash', '=', secretHash)
        .executeTakeFirst()) ?? null
    );
  }

  async revokeToken(id: string, now: Date): Promise<void> {
    await this.db
      .updateTable('EnrollmentToken')
      .set({ revokedAt: now })
      .where('id', '=', id)
      .where('revokedAt', 'is', null)
      .execute();
  }

  // One transaction: find or create the host, store the new credential, and spend a use of the
  // token last (atomically, never past maxUses), so the token row is locked only for the commit
  // and many agents can enroll with one token at once. A conflict throws EnrollmentConflict, a
  // token that cannot be spent returns token-refused; either way nothing is kept.
  async enroll(input: EnrollInput): Promise<EnrollOutcome> {
    const token = await this.db
      .selectFrom('EnrollmentToken')
      .select(['id', 'name', 'prefix', 'allowTakeover'])
      .where('secretHash', '=', input.tokenHash)
      .executeTakeFirst();
    if (!token) return { kind: 'token-refused' };
    try {
      return await transaction(this.pool, async ({ db }) => {
        await lockEnrollment(db, input);
        let hostId: string;
        let tookOver = false;
        const sameAgent = await enrollmentQueries.hostOfAgent(db, input.agentId).executeTakeFirst();
        if (sameAgent) {
          // The same agent id without a live credential (enrolled before, then revoked) enrolls again.
          if (sameAgent.liveCredentials > 0) {
            if (!token.allowTakeover) throw new EnrollmentConflict('agentId', sameAgent.id, sameAgent.hostname);
            tookOver = true;
          }
          hostId = sameAgent.id;
          await takeEnrolledName(db, sameAgent, input.hostname, input.now);
        } else {
          const sameName = await enrollmentQueries.hostsNamed(db, input.hostname).execute();
          const other = sameName[0];
          if (other) {
            if (!token.allowTakeover || sameName.length > 1) {
              throw new EnrollmentConflict('hostname', other.id, other.hostname, sameName.length);
            }
            await db
              .updateTable('Host')
              .set({ agentId: input.agentId, updatedAt: input.now })
              .where('id', '=', other.id)
              .execute();
            hostId = other.id;
            tookOver = true;
          } else {
            const created = await db
              .insertInto('Host')
              .values({ id: randomUUID(), agentId: input.agentId, hostname: input.hostname, updatedAt: input.now })
              .returning('id')
              .executeTakeFirstOrThrow();
            hostId = created.id;
          }
        }
        if (tookOver) {
          // A new agent starts a new sequence: its first snapshot replaces what the old one reported.
          await db
            .updateTable('AgentCredential')
            .set({ revokedAt: input.now })
            .where('hostId', '=', hostId)
            .where('revokedAt', 'is', null)
            .execute();
          await db.updateTable('Host').set({ lastSeq: 0, updatedAt: input.now }).where('id', '=', hostId).execute();
        }
        await db
          .insertInto('AgentCredential')
          .values({ id: randomUUID(), hostId, ...input.credential, enrollmentTokenId: token.id })
          .execute();
        const spent = await enrollmentQueries.spendUse(db, token.id, input.now).executeTakeFirst();
        if (!spent) throw new TokenRefused();
        return {
          kind: 'enrolled',
          hostId,
          tookOver,
          token: { id: token.id, name: token.name, prefix: token.prefix },
        };
      });
    } catch (err) {
      if (err instanceof TokenRefused) return { kind: 'token-refused' };
      throw err;
    }
  }

  async revokeHostCredentials(hostId: string, now: Date): Promise<number> {
    const result = await this.db
      .updateTable('AgentCredential')
      .set({ revokedAt: now })
      .where('hostId', '=', hostId)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async findHost(hostId: string): Promise<{ id: string; hostname: string } | null> {
    return (
      (await this.db.selectFrom('Host').select(['id', 'hostname']).where('id', '=', hostId).executeTakeFirst()) ?? null
    );
  }

  async deleteHost(hostId: string): Promise<void> {
    await this.db.deleteFrom('Host').where('id', '=', hostId).execute();
  }
}

export const enrollmentQueries = {
  hostOfAgent: (db: Db, agentId: string) =>
    db
      .selectFrom('Host as h')
      .select((eb) => [
        'h.id',
        'h.hostname',
        eb
          .selectFrom('AgentCredential as c')
          .select(sql<number>`count(*)::int`.as('n'))
          .whereRef('c.hostId', '=', 'h.id')
          .where('c.revokedAt', 'is', null)
          .$asScalar()
          .$notNull()
          .as('liveCredentials'),
      ])
      .where('h.agentId', '=', agentId),

  // Two are enough to tell "one host of that name" from "several".
  hostsNamed: (db: Db, hostname: string) =>
    db
      .selectFrom('Host')
      .select(['id', 'hostname'])
      .where((eb) => eb(eb.fn('lower', ['hostname']), '=', eb.fn('lower', [eb.val(hostname)])))
      .limit(2),

  spendUse: (db: Db, tokenId: string, now: Date) =>
    db
      .updateTable('EnrollmentToken')
      .set((eb) => ({ uses: eb('uses', '+', 1) }))
      .where('id', '=', tokenId)
      .whereRef('uses', '<', 'maxUses')
      .where('revokedAt', 'is', null)
      .where('expiresAt', '>', now)
      .returning('id'),
};
