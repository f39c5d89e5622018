// The one place that reads database error codes: Postgres SQLSTATEs (from pg, or carried inside a
// Prisma error) and Prisma's own P-codes become one of a few kinds, and typed errors for callers.

export type DbErrorKind =
  // A unique constraint refused the row (23505, P2002).
  | 'unique_violation'
  // Deadlock or serialization failure: the same transaction may well succeed when run again.
  | 'retryable'
  // The server cannot be reached, went away or is shutting down: nothing about the data.
  | 'connection'
  // The statement was refused for its data (constraint, bad value, trigger): running it again fails again.
  | 'data';

export class DatabaseError extends Error {
  override readonly name: string = 'DatabaseError';

  constructor(
    readonly kind: DbErrorKind,
    readonly code: string,
    readonly constraint: string | null,
    options: { cause: unknown },
  ) {
    super(
      `${kind.replace('_', ' ')} (${code}): ${(options.cause as Error)?.message ?? String(options.cause)}`,
      options,
    );
  }
}

export class UniqueViolationError extends DatabaseError {
  override readonly name = 'UniqueViolationError';
}
export class RetryableDbError extends DatabaseError {
  override readonly name = 'RetryableDbError';
}
export class DbConnectionError extends DatabaseError {
  override readonly name = 'DbConnectionError';
}
export class DbDataError extends DatabaseError {
  override readonly name = 'DbDataError';
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
// Node socket errors seen when the server is gone.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
// Prisma's codes for the same situations.
const PRISMA_CODES: Record<string, DbErrorKind> = {
  P1001: 'connection',
  P1002: 'connection',
  P1017: 'connection',
  P2002: 'unique_violation',
  P2034: 'retryable',
};

interface Coded {
  code?: unknown;
  constraint?: unknown;
  meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; constraint?: unknown } } };
  cause?: unknown;
}

// The SQLSTATE (or Prisma/socket code) of an error, looking through Prisma's wrapping.
export function dbErrorCode(err: unknown): string | null {
  const e = err as Coded | null;
  if (!e || typeof e !== 'object') return null;
  const adapter = e.meta?.driverAdapterError?.cause?.originalCode;
  if (typeof adapter === 'string') return adapter;
  if (typeof e.meta?.code === 'string' && SQLSTATE.test(e.meta.code)) return e.meta.code;
  if (typeof e.code === 'string') return e.code;
  return null;
}

export function classifyDbError(err: unknown): DbErrorKind | null {
  const code = dbErrorCode(err);
  if (code === null) return null;
  if (PRISMA_CODES[code]) return PRISMA_CODES[code];
  if (SOCKET_CODES.has(code)) return 'connection';
  if (!SQLSTATE.test(code)) return null;
  if (code === '23505') return 'unique_violation';
  if (code === '40P01' || code === '40001') return 'retryable';
  // 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown), 58 system error.
  if (/^(08|53|57|58)/.test(code)) return 'connection';
  return 'data';
}

const TYPED = {
  unique_violation: UniqueViolationError,
  retryable: RetryableDbError,
  connection: DbConnectionError,
  data: DbDataError,
} as const;

// The typed error for a database failure; anything else comes back unchanged.
export function toDbError(err: unknown): unknown {
  if (err instanceof DatabaseError) return err;
  const kind = classifyDbError(err);
  if (kind === null) return err;
  const constraint = (err as Coded).constraint ?? (err as Coded).meta?.driverAdapterError?.cause?.constraint ?? null;
  return new TYPED[kind](kind, dbErrorCode(err)!, typeof constraint === 'string' ? constraint : null, { cause: err });
}

export const isUniqueViolation = (err: unknown): boolean => classifyDbError(err) === 'unique_violation';
export const isRetryableDbError = (err: unknown): boolean => classifyDbError(err) === 'retryable';
// The database answered and refused the statement (its data, or a conflict with another
// transaction), as opposed to being unreachable, where trying again piece by piece only fails slower.
export const isRefusedByDb = (err: unknown): boolean => {
  const kind = classifyDbError(err);
  return kind !== null && kind !== 'connection';
};
