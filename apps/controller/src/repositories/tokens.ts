// Injection tokens for the outside world, so tests can hand in other implementations.
export const CONFIG = Symbol('CONFIG');
export const PRISMA = Symbol('PRISMA');
export const CLOCK = Symbol('CLOCK');
export const DATABASE = Symbol('DATABASE');
// A pg.Pool on the same database, for the bulk ingest path (the API and the rest stay on Prisma).
export const PG_POOL = Symbol('PG_POOL');
// Kysely over PG_POOL: the typed way to write SQL (see database/kysely.ts).
export const KYSELY = Symbol('KYSELY');
