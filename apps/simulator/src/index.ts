export { Fleet, type FleetOptions, wallClock } from './fleet/fleet.js';
export type { FleetSnapshot, FleetStats } from './fleet/fleet-stats.js';
export type { SentChange } from './fleet/sim-agent.js';
export { hexId, mix, prng, uuidFrom } from './synthetic/hash.js';
export { blockSize, DEFAULT_SHAPE, type FleetShape, SyntheticHost } from './synthetic/synthetic-host.js';
