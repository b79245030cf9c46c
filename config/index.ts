export * from './schema.js';
export * from './load.js';
export * from './diff.js';
export * from './secrets.js';
export * from './section.js';
