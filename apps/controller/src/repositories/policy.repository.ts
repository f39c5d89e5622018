import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Selectable, sql } from 'kysely';
import { isUniqueViolation } from '../database/db-errors.js';
import type { DB, Db } from '../database/kysely.js';
import { pgJson } from './pg-encoding.js';
import { anyOf } from './sql-helpers.js';
import { KYSELY } from './tokens.js';

export type PolicyRow = Selectable<DB['CreatePolicy']>;

export interface NewPolicy {
  name: string;
  selector: unknown;
  grants: unknown;
  createdBy: string | null;
}

// What a create policy check needs of a host.
export interface PolicyHostRow {
  id: string;
  hostname: string;
  agentLabels: unknown;
  // facts.lxcTemplates; null until the host reports them.
  lxcTemplates: unknown;
}

export class DuplicatePolicyNameError extends Error {}

// Create policies, and the host facts they are checked against.
@Injectable()
export class PolicyRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  list(): Promise<PolicyRow[]> {
    return this.db.selectFrom('CreatePolicy').selectAll().orderBy('name').execute();
  }

  async find(id: string): Promise<PolicyRow | null> {
    return (await this.db.selectFrom('CreatePolicy').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  create(policy: NewPolicy, now: Date): Promise<PolicyRow> {
    const { selector, grants, ...rest } = policy;
    return this.unique(() =>
      this.db
        .insertInto('CreatePolicy')
        .values({ id: randomUUID(), ...rest, selector: pgJson(selector), grants: pgJson(grants), updatedAt: now })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
  }

  // Null when there is no such policy.
  async replace(id: string, policy: Omit<NewPolicy, 'createdBy'>, now: Date): Promise<PolicyRow | null> {
    const row = await this.unique(() =>
      this.db
        .updateTable('CreatePolicy')
        .set({ name: policy.name, selector: pgJson(policy.selector), grants: pgJson(policy.grants), updatedAt: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst(),
    );
    return row ?? null;
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('CreatePolicy').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async hosts(ids: readonly string[]): Promise<PolicyHostRow[]> {
    if (ids.length === 0) return [];
    return this.db
      .selectFrom('Host')
      .select(['id', 'hostname', 'agentLabels', sql<unknown>`facts->'lxcTemplates'`.as('lxcTemplates')])
      .where('id', '=', anyOf([...ids]))
      .execute();
  }

  private async unique<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicatePolicyNameError();
      throw err;
    }
  }
}
