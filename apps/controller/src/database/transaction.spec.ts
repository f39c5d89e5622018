import type { Pool, PoolClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { transaction } from './transaction.js';

// A pool of one fake client that records its statements and how it was given back.
function fakePool(failOn?: string) {
  const log: string[] = [];
  const released: (boolean | undefined)[] = [];
  const client = {
    query: async (text: string) => {
      log.push(text);
      if (text === failOn) throw Object.assign(new Error(`${text} failed`), { code: '40P01' });
      return { rows: [{ one: 1 }], rowCount: 1, command: 'SELECT' };
    },
    release: (destroy?: boolean) => released.push(destroy),
  } as unknown as PoolClient;
  return { pool: { connect: async () => client } as unknown as Pool, log, released };
}

describe('transaction', () => {
  it('commits and gives the client back to the pool', async () => {
    const { pool, log, released } = fakePool();
    const sut = await transaction(pool, async ({ client }) => {
      await client.query('SELECT 1');
      return 'done';
    });
    expect(sut).toBe('done');
    expect(log).toEqual(['BEGIN', 'SELECT 1', 'COMMIT']);
    expect(released).toEqual([false]);
  });

  it('runs Kysely queries on the transaction client', async () => {
    const { pool, log } = fakePool();
    await transaction(pool, ({ db }) => db.selectFrom('Host').select('id').execute());
    expect(log).toEqual(['BEGIN', 'select "id" from "Host"', 'COMMIT']);
  });

  it('destroys the client of a transaction that failed part-way, without waiting on a ROLLBACK', async () => {
    const { pool, log, released } = fakePool('UPDATE');
    await expect(transaction(pool, async ({ client }) => client.query('UPDATE'))).rejects.toThrow('UPDATE failed');
    expect(log).toEqual(['BEGIN', 'UPDATE']);
    expect(released).toEqual([true]);
  });

  it('destroys the client when COMMIT fails', async () => {
    const { pool, released } = fakePool('COMMIT');
    await expect(transaction(pool, async () => 1)).rejects.toThrow('COMMIT failed');
    expect(released).toEqual([true]);
  });
});
