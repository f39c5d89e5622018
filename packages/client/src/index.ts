export * from './client.js';
export * from './events.js';
export type { components, paths } from './generated/openapi.js';
export * from './streams.js';
