import { describe, expect, it } from 'vitest';
import { runPrepared, statementName } from './prepared.js';

type Call = { name?: string; text: string; values?: unknown[] };

function fake(fail?: { code: string }) {
  const calls: Call[] = [];
  return {
    calls,
    async query(config: Call) {
      calls.push(config);
      if (fail && config.name) throw Object.assign(new Error('refused'), fail);
      return { rows: [{ ok: 1 }], rowCount: 1, command: 'SELECT', oid: 0, fields: [] };
    },
  };
}

describe('runPrepared', () => {
  it('names a statement after its text, the same name every time and another for another text', async () => {
    const db = fake();
    await runPrepared(db, 'SELECT $1::int', [1]);
    await runPrepared(db, 'SELECT $1::int', [2]);
    await runPrepared(db, 'SELECT $1::text', ['x']);
    expect(db.calls[0]!.name).toMatch(/^corral_[0-9a-f]{24}$/);
    expect(db.calls[1]!.name).toBe(db.calls[0]!.name);
    expect(db.calls[2]!.name).not.toBe(db.calls[0]!.name);
    expect(db.calls[1]!.values).toEqual([2]);
    expect(statementName('SELECT $1::int')).toBe(db.calls[0]!.name);
  });

  it('runs the text unnamed once when Postgres refuses the cached plan (a table changed shape)', async () => {
    const db = fake({ code: '0A000' });
    const result = await runPrepared(db, 'SELECT * FROM "Command" WHERE id = $1', ['a']);
    expect(result.rows).toEqual([{ ok: 1 }]);
    expect(db.calls).toHaveLength(2);
    expect(db.calls[1]!.name).toBeUndefined();
  });

  it('passes any other error on', async () => {
    const db = fake({ code: '23505' });
    await expect(runPrepared(db, 'INSERT INTO t VALUES ($1)', [1])).rejects.toMatchObject({ code: '23505' });
    expect(db.calls).toHaveLength(1);
  });
});
