import { describe, expect, it } from 'vitest';
import {
  classifyDbError,
  DbConnectionError,
  DbDataError,
  dbErrorCode,
  isRefusedByDb,
  isRetryableDbError,
  isUniqueViolation,
  RetryableDbError,
  toDbError,
  UniqueViolationError,
} from './db-errors.js';

const pgError = (code: string, extra: object = {}) => Object.assign(new Error(`pg ${code}`), { code, ...extra });

describe('database error classifier', () => {
  it('sorts Postgres SQLSTATEs into kinds', () => {
    expect(classifyDbError(pgError('23505'))).toBe('unique_violation');
    expect(classifyDbError(pgError('40P01'))).toBe('retryable');
    expect(classifyDbError(pgError('40001'))).toBe('retryable');
    expect(classifyDbError(pgError('08006'))).toBe('connection');
    expect(classifyDbError(pgError('57P01'))).toBe('connection');
    expect(classifyDbError(pgError('53300'))).toBe('connection');
    expect(classifyDbError(pgError('22P02'))).toBe('data');
    expect(classifyDbError(pgError('23503'))).toBe('data');
  });

  it('reads Prisma codes and the SQLSTATE a Prisma driver-adapter error carries', () => {
    expect(classifyDbError(pgError('P2002'))).toBe('unique_violation');
    expect(classifyDbError(pgError('P2034'))).toBe('retryable');
    expect(classifyDbError(pgError('P1001'))).toBe('connection');
    const wrapped = pgError('P2010', { meta: { driverAdapterError: { cause: { originalCode: '23505' } } } });
    expect(dbErrorCode(wrapped)).toBe('23505');
    expect(isUniqueViolation(wrapped)).toBe(true);
  });

  it('calls socket failures connection errors and leaves other errors alone', () => {
    expect(classifyDbError(pgError('ECONNRESET'))).toBe('connection');
    expect(classifyDbError(new Error('plain'))).toBeNull();
    expect(classifyDbError(null)).toBeNull();
    expect(classifyDbError(pgError('ENOENT'))).toBeNull();
  });

  it('tells refusals (worth splitting a batch for) from an unreachable database', () => {
    expect(isRefusedByDb(pgError('23505'))).toBe(true);
    expect(isRefusedByDb(pgError('40P01'))).toBe(true);
    expect(isRefusedByDb(pgError('22P02'))).toBe(true);
    expect(isRefusedByDb(pgError('08006'))).toBe(false);
    expect(isRefusedByDb(pgError('ECONNREFUSED'))).toBe(false);
    expect(isRefusedByDb(new Error('timeout'))).toBe(false);
    expect(isRetryableDbError(pgError('40001'))).toBe(true);
    expect(isRetryableDbError(pgError('23505'))).toBe(false);
  });

  it('wraps database failures in typed errors that keep the code, constraint and cause', () => {
    const cause = pgError('23505', { constraint: 'Command_idempotencyKey_key' });
    const err = toDbError(cause);
    expect(err).toBeInstanceOf(UniqueViolationError);
    expect(err).toMatchObject({
      kind: 'unique_violation',
      code: '23505',
      constraint: 'Command_idempotencyKey_key',
      cause,
    });
    expect(toDbError(pgError('40P01'))).toBeInstanceOf(RetryableDbError);
    expect(toDbError(pgError('08006'))).toBeInstanceOf(DbConnectionError);
    expect(toDbError(pgError('22P02'))).toBeInstanceOf(DbDataError);
    const plain = new Error('not the database');
    expect(toDbError(plain)).toBe(plain);
    expect(toDbError(err)).toBe(err);
  });
});
