/** Generic tools with no knowledge of actors, components or the edge. */
export * from './token-bucket.js';
export * from './seeded-random.js';
