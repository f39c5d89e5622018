import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Selectable, sql } from 'kysely';
import type { Pool } from 'pg';
import type { DB, Db } from '../database/kysely.js';
import { transaction } from '../database/transaction.js';
import type { Role } from '../generated/kysely/db.js';
import { KYSELY, PG_POOL } from './tokens.js';

export type ApiTokenRow = Selectable<DB['ApiToken']>;

export interface NewApiToken {
  name: string;
  role: Role;
  prefix: string;
  secretHash: string;
  createdBy: string | null;
  expiresAt: Date | null;
}

// Marks the token that mirrors CORRAL_ADMIN_TOKEN, so a changed variable replaces it.
export const ENV_ADMIN_CREATOR = 'CORRAL_ADMIN_TOKEN';
// Serialises the first-start admin token between controllers sharing a database.
const BOOTSTRAP_LOCK = 72707370;

const lockBootstrap = (db: Db) => sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(db);

@Injectable()
export class ApiTokenRepository {
  constructor(
    @Inject(KYSELY) private readonly db: Db,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  create(token: NewApiToken): Promise<ApiTokenRow> {
    return this.db
      .insertInto('ApiToken')
      .values({ id: randomUUID(), ...token })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async findByHash(secretHash: string): Promise<ApiTokenRow | null> {
    return (await apiTokenQueries.findByHash(this.db, secretHash).executeTakeFirst()) ?? null;
  }

  list(): Promise<ApiTokenRow[]> {
    return this.db.selectFrom('ApiToken').selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc').execute();
  }

  async findById(id: string): Promise<ApiTokenRow | null> {
    return (await this.db.selectFrom('ApiToken').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async revoke(id: string, now: Date): Promise<void> {
    await this.db
      .updateTable('ApiToken')
      .set({ revokedAt: now })
      .where('id', '=', id)
      .where('revokedAt', 'is', null)
      .execute();
  }

  async touch(id: string, now: Date): Promise<void> {
    await apiTokenQueries.touch(this.db, id, now).execute();
  }

  // Makes the CORRAL_ADMIN_TOKEN row match the variable: kept when unchanged, replaced when changed.
  async syncEnvAdmin(token: Omit<NewApiToken, 'createdBy' | 'expiresAt' | 'role'>, now: Date): Promise<void> {
    await transaction(this.pool, async ({ db }) => {
      await lockBootstrap(db);
      await db
        .updateTable('ApiToken')
        .set({ revokedAt: now })
        .where('createdBy', '=', ENV_ADMIN_CREATOR)
        .where('revokedAt', 'is', null)
        .where('secretHash', '<>', token.secretHash)
        .execute();
      const existing = await db
        .selectFrom('ApiToken')
        .select('id')
        .where('secretHash', '=', token.secretHash)
        .executeTakeFirst();
      if (existing) {
        await db
          .updateTable('ApiToken')
          .set({ revokedAt: null, expiresAt: null, role: 'admin', createdBy: ENV_ADMIN_CREATOR })
          .where('id', '=', existing.id)
          .execute();
        return;
      }
      await db
        .insertInto('ApiToken')
        .values({ id: randomUUID(), ...token, role: 'admin', createdBy: ENV_ADMIN_CREATOR, expiresAt: null })
        .execute();
    });
  }

  // Creates the admin token when no usable one exists; false when one does (then nothing is made).
  createAdminIfNone(token: NewApiToken, now: Date): Promise<boolean> {
    return transaction(this.pool, async ({ db }) => {
      await lockBootstrap(db);
      const usable = await db
        .selectFrom('ApiToken')
        .select('id')
        .where('role', '=', 'admin')
        .where('revokedAt', 'is', null)
        .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)]))
        .limit(1)
        .executeTakeFirst();
      if (usable) return false;
      await db
        .insertInto('ApiToken')
        .values({ id: randomUUID(), ...token })
        .execute();
      return true;
    });
  }
}

// Every API request without a cached token runs these.
export const apiTokenQueries = {
  findByHash: (db: Db, secretHash: string) =>
    db.selectFrom('ApiToken').selectAll().where('secretHash', '=', secretHash),
  touch: (db: Db, id: string, now: Date) => db.updateTable('ApiToken').set({ lastUsedAt: now }).where('id', '=', id),
};
