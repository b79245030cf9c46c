import { z } from 'zod';

/** Project and source names: they appear in actor addresses, topics and URLs. */
export const resourceName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must start with a letter; lowercase letters, digits, _ and - only; at most 63 characters');

/**
 * Path segments the node's routes may use where a project name goes (`/v1/<project>/…`,
 * `/rest/v1/<project>/…`), so no project may take one. A component serves its own routes
 * under one of these (`/v1/_/<component>/…` when no other fits); the edge refuses a
 * route that claims any other name there. (`openapi.json` is not a valid project name.)
 */
export const SYSTEM_PREFIXES = ['_', 'admin', 'auth', 'mqtt', 'realtime', 'rest', 'sentinel', 'ui', 'openapi.json'] as const;

/** Why a project may not have this name, or undefined when it may. */
export function reservedProjectName(name: string): string | undefined {
  if (!(SYSTEM_PREFIXES as readonly string[]).includes(name)) return undefined;
  return `"${name}" is reserved for the node's own routes; reserved names: ${SYSTEM_PREFIXES.join(', ')}`;
}
