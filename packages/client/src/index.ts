export * from './client.js';
export type { components, paths } from './generated/openapi.js';
