export * from './commands.js';
export * from './errors.js';
export * from './keys.js';
export * from './messages.js';
export * from './parse.js';
export * from './records.js';
export * from './samples.js';
export * from './version.js';
