// Injection tokens for the outside world, so tests can hand in other implementations.
export const CONFIG = Symbol('CONFIG');
export const PRISMA = Symbol('PRISMA');
export const CLOCK = Symbol('CLOCK');
export const DATABASE = Symbol('DATABASE');
// The controller's pg.Pool: ingest, the connect path, commands and the API's reads (through KYSELY).
export const PG_POOL = Symbol('PG_POOL');
// Kysely over PG_POOL: the typed way to write SQL (see database/kysely.ts).
export const KYSELY = Symbol('KYSELY');
