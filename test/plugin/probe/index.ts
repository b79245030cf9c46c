/**
 * A component written only for the tests of the plug-in contract: its own config section,
 * error code, message protocol, route and edge hook, in one folder, plugged in with one
 * line (`[...defaultSlots(), probeSlot]`) and no edit to any shared file.
 */
import { z } from 'zod';
import type { ComponentSlot } from '../../../actors/board.js';
import { configSection } from '../../../config/section.js';
import type { RequestView } from '../../../gateway/edge.js';
import { ok, parseJsonBody } from '../../../gateway/envelope.js';
import { dispatch } from '../../../runtime/behavior.js';
import { defineErrors, type CodesOf } from '../../../runtime/errors.js';
import { clientOf, defineProtocol, implement, reply } from '../../../runtime/protocol.js';

export const probeConfig = configSection(
  'probe',
  z
    .object({
      greeting: z.string().min(1).max(50).default('hello'),
      /** Requests whose query has `block=<this>` are refused by the hook. */
      blockWord: z.string().min(1).default('forbidden'),
    })
    .strict()
    .default({}),
);

export const probeErrors = defineErrors({
  PROBE_BLOCKED: { status: 451, message: 'The probe refused this request', pusher: 4301, mqtt: 0x9a },
});

declare module '../../../runtime/errors.js' {
  interface ComponentErrorCodes extends CodesOf<typeof probeErrors> {}
}

export const probeProtocol = defineProtocol({
  'probe.greet': { payload: z.object({ name: z.string().min(1).max(100) }), reply: reply<{ text: string; count: number }>() },
  'probe.count': { payload: z.null().optional(), reply: reply<number>() },
});

/** Every request the hook saw, for the tests to read. */
export const seen: RequestView[] = [];
export const seenBodies: unknown[] = [];

export const probeSlot: ComponentSlot = {
  name: 'probe',
  group: 'ops',
  config: probeConfig,
  errors: probeErrors,
  protocol: probeProtocol,
  behavior: (board) => {
    let count = 0;
    const handlers = implement(probeProtocol, {
      'probe.greet': ({ name }) => ({ text: `${probeConfig.of(board.configStore.current()).greeting}, ${name}`, count: ++count }),
      'probe.count': () => count,
    });
    return { receive: (msg, ctx) => dispatch(handlers, msg, ctx) };
  },
  routes: ({ router, board, hook }) => {
    const probe = clientOf(probeProtocol, board.system.ref(board.address('probe'), 'probe-http'));
    router.post('/v1/_/probe/greet', async (req) => {
      const body = parseJsonBody(req.body) as { name?: unknown } | null;
      return ok(req.requestId, await probe.ask('probe.greet', { name: String(body?.name ?? '') }));
    });
    hook({
      name: 'probe-watch',
      onRequest: (req) => {
        if (req.query.get('block') === probeConfig.of(board.configStore.current()).blockWord) {
          throw probeErrors.make.PROBE_BLOCKED(undefined, { details: { path: req.path } });
        }
      },
      preHandler: (req) => {
        seen.push(req);
        seenBodies.push(req.body());
      },
    });
  },
};

// The augmentation makes the component's codes first-class: this line would not compile without it.
export const isProbeRefusal = (code: import('../../../runtime/errors.js').ErrorCode): boolean => code === 'PROBE_BLOCKED';
