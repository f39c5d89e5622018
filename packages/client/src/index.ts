export * from './client.js';
export * from './event-stream.js';
export type { components, paths } from './generated/openapi.js';
export * from './streams.js';
