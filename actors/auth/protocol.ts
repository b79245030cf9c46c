import { z } from 'zod';
import { defineProtocol, reply } from '../../runtime/protocol.js';
import { resourceName } from '../ds/names.js';
import type { ApiKeyInfo, CreatedApiKey } from './api-keys.js';
import { scopesSchema } from './scopes.js';

const project = z.object({ project: resourceName });
const id = project.extend({ id: z.string().min(1).max(200) });
export const roleName = z.string().min(1).max(63);

/**
 * MagAuth's API-key messages: the auth actor implements them (admin-handlers.ts) and the
 * edge calls them through `clientOf(keyProtocol, …)` (gateway/auth-routes.ts), so the
 * names, payloads and replies are written once.
 */
export const keyProtocol = defineProtocol({
  /** A new key; the secret is in the reply once and never again. */
  'key.create': {
    payload: project.extend({
      name: z.string().min(1).max(100).optional(),
      role: roleName.default('viewer'),
      scopes: scopesSchema.default({}),
      serviceAccount: z.string().min(1).max(200).optional(),
    }),
    reply: reply<CreatedApiKey>(),
  },
  'key.list': { payload: project, reply: reply<ApiKeyInfo[]>() },
  /** A new secret for the key; the old one stops working at once. */
  'key.rotate': { payload: id, reply: reply<CreatedApiKey>() },
  'key.revoke': { payload: id, reply: reply<ApiKeyInfo>() },
});
