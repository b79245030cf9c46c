import { randomBytes } from 'node:crypto';

// Ids are a random per-process prefix plus a counter: unique across nodes, and cheap
// enough for the message hot path (randomUUID per message costs more than a local hop).
const prefix = randomBytes(6).toString('base64url');
let counter = 0;

export function nextId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}${counter.toString(36)}`;
}

export function newTraceId(): string {
  return randomBytes(8).toString('hex');
}
