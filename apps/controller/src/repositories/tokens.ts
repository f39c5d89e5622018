// Injection tokens for the outside world, so tests can hand in other implementations.
export const CONFIG = Symbol('CONFIG');
export const PRISMA = Symbol('PRISMA');
export const CLOCK = Symbol('CLOCK');
export const DATABASE = Symbol('DATABASE');
