export * from './explanation.js';
export * from './format.js';
export * from './schedule.js';
export * from './scheduler.types.js';
