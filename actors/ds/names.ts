import { z } from 'zod';

/** Project and source names: they appear in actor addresses, topics and URLs. */
export const resourceName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must start with a letter; lowercase letters, digits, _ and - only; at most 63 characters');
