import { randomUUID } from 'node:crypto';
import { recordKey, sampleDockerContainer, sampleLease, sampleLxcContainer } from '@corral/protocol';
import { sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DbDataError,
  RetryableDbError,
  toDbError,
  UniqueViolationError,
} from '../../apps/controller/src/database/db-errors.js';
import { createKysely } from '../../apps/controller/src/database/kysely.js';
import { applyMigrations, defaultMigrationsDir } from '../../apps/controller/src/database/migrator.js';
import { createPgPool } from '../../apps/controller/src/database/pg-pool.js';
import { transaction } from '../../apps/controller/src/database/transaction.js';
import { keySql } from '../../apps/controller/src/repositories/inventory-tables.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const backendPid = async (client: pg.PoolClient) =>
  (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

describe('the transaction helper and the error classifier on real Postgres', () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    await applyMigrations(db.url, defaultMigrationsDir());
    pool = createPgPool(db.url, 1);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('keeps the connection of a committed transaction and drops that of a failed one', async () => {
    const first = await transaction(pool, ({ client }) => backendPid(client));
    expect(await transaction(pool, ({ client }) => backendPid(client))).toBe(first);
    let failed = 0;
    await expect(
      transaction(pool, async ({ client }) => {
        failed = await backendPid(client);
        await client.query('SELECT 1/0');
      }),
    ).rejects.toThrow('division by zero');
    expect(failed).toBe(first);
    const after = await transaction(pool, ({ client }) => backendPid(client));
    expect(after).not.toBe(first);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [first]);
    expect(rows[0].n).toBe(0);
  });

  it('rolls back what a failed transaction wrote', async () => {
    const id = randomUUID();
    await expect(
      transaction(pool, async ({ db: k }) => {
        await k
          .insertInto('Host')
          .values({ id, agentId: id, hostname: 'rolled-back', updatedAt: new Date() })
          .execute();
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await createKysely(pool).selectFrom('Host').select('id').where('id', '=', id).execute()).toEqual([]);
  });

  it('types what Postgres refuses', async () => {
    const k = createKysely(pool);
    const agentId = randomUUID();
    await k.insertInto('Host').values({ id: randomUUID(), agentId, hostname: 'a', updatedAt: new Date() }).execute();
    const duplicate = await k
      .insertInto('Host')
      .values({ id: randomUUID(), agentId, hostname: 'b', updatedAt: new Date() })
      .execute()
      .catch(toDbError);
    expect(duplicate).toBeInstanceOf(UniqueViolationError);
    expect(duplicate).toMatchObject({ code: '23505', constraint: 'Host_agentId_key' });
    const badUuid = await k.selectFrom('Host').select('id').where('id', '=', 'not-a-uuid').execute().catch(toDbError);
    expect(badUuid).toBeInstanceOf(DbDataError);
    const serialization = await transaction(pool, async ({ client }) => {
      await client.query(`SELECT pg_advisory_xact_lock(1)`);
      await client.query(`DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001'; END $$`);
    }).catch(toDbError);
    expect(serialization).toBeInstanceOf(RetryableDbError);
  });

  it('computes record keys in SQL exactly as recordKey() does', async () => {
    const k = createKysely(pool);
    const keyOf = async (kind: 'container' | 'lease', record: object) => {
      const json = JSON.stringify(record);
      const key = keySql(kind, (f) => sql<string>`${json}::jsonb->>${sql.lit(f)}`);
      return (await sql<{ key: string }>`SELECT ${key} AS key`.execute(k)).rows[0]!.key;
    };
    for (const record of [sampleDockerContainer, sampleLxcContainer, { ...sampleLxcContainer, lxcPath: null }]) {
      expect(await keyOf('container', record)).toBe(recordKey('container', record));
    }
    expect(await keyOf('lease', sampleLease)).toBe(recordKey('lease', sampleLease));
  });
});
