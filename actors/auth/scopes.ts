import { z } from 'zod';
import { isCidr, ipInRanges } from './cidr.js';
import type { AccessRequest, Operation, Principal } from './principal.js';
import { TABLE_PATTERN, anyTableMatches } from './table-pattern.js';
import { MoboError } from '../../runtime/index.js';

export const OPERATIONS = ['read', 'create', 'update', 'delete'] as const satisfies readonly Operation[];
export const operationSchema = z.enum(OPERATIONS);
const topicPatternSchema = z.string().min(1).max(1_024).regex(/^[^\u0000]*$/, 'an MQTT topic pattern');
export const tablePatternSchema = z.string().regex(TABLE_PATTERN, 'a table name or pattern: letters, digits, _, -, * and at most one "." (source.table)');

/** What an API key is limited to on top of its role. Absent means no extra limit. */
export const scopesSchema = z
  .object({
    tables: z.array(tablePatternSchema).min(1).max(100).optional(),
    operations: z.array(operationSchema).min(1).optional(),
    cidrs: z.array(z.string().refine(isCidr, 'an IPv4 or IPv6 address or CIDR range')).min(1).max(100).optional(),
    /** MQTT topic patterns below the project (`devices/+/telemetry`, `commands/#`) the key may publish / subscribe to. */
    topics: z.object({ publish: z.array(topicPatternSchema).max(100).optional(), subscribe: z.array(topicPatternSchema).max(100).optional() }).strict().optional(),
  })
  .strict();
export type Scopes = z.infer<typeof scopesSchema>;

/** The key's IP ranges: checked at authentication, so a key used from outside them is refused everywhere. */
export function checkAddress(scopes: Principal['scopes'], ip: string): void {
  if (scopes?.cidrs && !ipInRanges(ip, scopes.cidrs)) throw new MoboError('AUTH_FORBIDDEN', 'This API key may not be used from this address');
}

export function checkScopes(scopes: Principal['scopes'], request: AccessRequest): void {
  if (!scopes) return;
  if (scopes.tables && !anyTableMatches(scopes.tables, request.source, request.table)) {
    throw new MoboError('AUTH_FORBIDDEN', 'This API key is not scoped to that table', { details: { table: request.table } });
  }
  if (scopes.operations && !scopes.operations.includes(request.operation)) {
    throw new MoboError('AUTH_FORBIDDEN', `This API key may not ${request.operation}`, { details: { operation: request.operation } });
  }
}
