import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Selectable } from 'kysely';
import { isUniqueViolation } from '../database/db-errors.js';
import type { DB, Db } from '../database/kysely.js';
import { KYSELY } from './tokens.js';

export type RegistryRow = Selectable<DB['Registry']>;

export interface NewRegistry {
  address: string;
  username: string | null;
  secretKind: 'password' | 'token';
  secretCipher: string;
  insecure: boolean;
  createdBy: string | null;
}

export class DuplicateRegistryError extends Error {}

export const registryQueries = (db: Db) => ({
  list: () => db.selectFrom('Registry').selectAll().orderBy('address'),
  byAddress: (address: string) => db.selectFrom('Registry').selectAll().where('address', '=', address),
  remove: (id: string) => db.deleteFrom('Registry').where('id', '=', id),
});

// Registries and their sealed secrets; the secret is only ever read by RegistryService.credentialFor.
@Injectable()
export class RegistryRepository {
  private readonly q: ReturnType<typeof registryQueries>;

  constructor(@Inject(KYSELY) private readonly db: Db) {
    this.q = registryQueries(db);
  }

  list(): Promise<RegistryRow[]> {
    return this.q.list().execute();
  }

  async byAddress(address: string): Promise<RegistryRow | null> {
    return (await this.q.byAddress(address).executeTakeFirst()) ?? null;
  }

  async create(registry: NewRegistry, now: Date): Promise<RegistryRow> {
    try {
      return await this.db
        .insertInto('Registry')
        .values({ id: randomUUID(), ...registry, updatedAt: now })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateRegistryError();
      throw err;
    }
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.q.remove(id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
