import { z } from 'zod';
import type { Board, ComponentSlot } from '../board.js';
import { TtlCache } from './ttl-cache.js';
import { type Behavior, dispatch, on } from '../../runtime/index.js';

const key = z.object({ key: z.string().min(1).max(512) });

/** The node's TTL cache as an actor: `cache.get|set|delete|clear|stats`. */
export const cacheSlot: ComponentSlot = {
  name: 'cache',
  group: 'kernel',
  dependsOn: ['config'],
  behavior: (board: Board): Behavior => {
    const { maxEntries, defaultTtlMs } = board.configStore.current().cache;
    const cache = new TtlCache(maxEntries, defaultTtlMs, board.system.clock);
    const handlers = {
      'cache.get': on(key, ({ key }) => cache.get(key) ?? null),
      'cache.set': on(key.extend({ value: z.unknown(), ttlMs: z.number().int().positive().optional() }), ({ key, value, ttlMs }) => {
        cache.set(key, value, ttlMs);
        return true;
      }),
      'cache.delete': on(key, ({ key }) => cache.delete(key)),
      'cache.clear': on(z.null().optional(), () => void cache.clear()),
      'cache.stats': on(z.null().optional(), () => cache.stats()),
    };
    return {
      receive: (msg, ctx) => dispatch(handlers, msg, ctx),
      health: () => ({ status: 'ok', details: { ...cache.stats() } }),
    };
  },
};
