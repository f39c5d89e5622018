import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Selectable } from 'kysely';
import { isUniqueViolation } from '../database/db-errors.js';
import type { DB, Db } from '../database/kysely.js';
import { pgJson } from './pg-encoding.js';
import { KYSELY } from './tokens.js';

export type ImagePolicyRow = Selectable<DB['ImagePolicy']>;

export interface NewImagePolicy {
  name: string;
  selector: unknown;
  allowedRegistries: string[] | null;
  requireDigest: boolean;
  refuseUnknownOrigin: boolean;
  createdBy: string | null;
}

export class DuplicateImagePolicyNameError extends Error {}

export const imagePolicyQueries = (db: Db) => ({
  list: () => db.selectFrom('ImagePolicy').selectAll().orderBy('name'),
  find: (id: string) => db.selectFrom('ImagePolicy').selectAll().where('id', '=', id),
  remove: (id: string) => db.deleteFrom('ImagePolicy').where('id', '=', id),
});

@Injectable()
export class ImagePolicyRepository {
  private readonly q: ReturnType<typeof imagePolicyQueries>;

  constructor(@Inject(KYSELY) private readonly db: Db) {
    this.q = imagePolicyQueries(db);
  }

  list(): Promise<ImagePolicyRow[]> {
    return this.q.list().execute();
  }

  async find(id: string): Promise<ImagePolicyRow | null> {
    return (await this.q.find(id).executeTakeFirst()) ?? null;
  }

  async create(policy: NewImagePolicy, now: Date): Promise<ImagePolicyRow> {
    const { selector, allowedRegistries, ...rest } = policy;
    try {
      return await this.db
        .insertInto('ImagePolicy')
        .values({
          id: randomUUID(),
          ...rest,
          selector: pgJson(selector),
          allowedRegistries: allowedRegistries === null ? null : pgJson(allowedRegistries),
          updatedAt: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateImagePolicyNameError();
      throw err;
    }
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.q.remove(id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
