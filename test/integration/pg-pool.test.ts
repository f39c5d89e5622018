import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgPool } from '../../apps/controller/src/database/pg-pool.js';
import { TcpProxy } from '../fleet/tcp-proxy.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';

// The controller's pg pool on real Postgres, its connections cut by a TCP proxy as in the faults test's
// blackhole outage: a connection that dies while checked out must fail its statement, not the process.

describe('controller pg pool when a connection dies while checked out', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;

  beforeAll(async () => {
    db = await createTestDatabase();
    const admin = new URL(ADMIN_URL);
    proxy = await TcpProxy.start({ host: admin.hostname, port: Number(admin.port || 5432) });
  });

  afterAll(async () => {
    await proxy?.close();
    await db?.drop();
  });

  it('fails the statement in flight and drops the client; the pool then reconnects', async () => {
    const sut = createPgPool(proxy.url(db.url), 2);
    try {
      const client = await sut.connect();
      proxy.block('blackhole');
      const hung = client.query('SELECT 1');
      await new Promise((r) => setTimeout(r, 200));
      // The partition ends: the proxy drops the connections it held, as Postgres would have given up on them.
      proxy.unblock();
      await expect(hung).rejects.toThrow(/Connection terminated unexpectedly/);
      client.release();
      expect(sut.totalCount).toBe(0);
      expect((await sut.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await sut.end();
    }
  });

  it('survives a checked-out client that is between statements when its connection dies', async () => {
    const sut = createPgPool(proxy.url(db.url), 2);
    try {
      const client = await sut.connect();
      await client.query('BEGIN');
      proxy.block('refuse');
      proxy.unblock();
      await new Promise((r) => setTimeout(r, 200));
      await expect(client.query('COMMIT')).rejects.toThrow(/not queryable|terminated/);
      client.release();
      expect((await sut.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await sut.end();
    }
  });
});
