import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnvelope, type Envelope } from '../../runtime/envelope.js';
import { MoboError } from '../../runtime/errors.js';
import type { Transport } from '../../runtime/transport.js';
import { deferred } from '../support/wait.js';

/**
 * The transport contract, run against every implementation. `makePair` returns two
 * transports that reach each other (two processes' worth): a listener on one, a caller
 * on the other, so the NATS run really crosses the server.
 */
export function transportConformance(name: string, makePair: () => Promise<[Transport, Transport]>): void {
  describe(`transport contract: ${name}`, () => {
    let a: Transport;
    let b: Transport;
    let prefix: string;

    beforeEach(async () => {
      [a, b] = await makePair();
      prefix = `t${Math.random().toString(36).slice(2, 10)}`;
    });
    afterEach(async () => {
      await a.close();
      await b.close();
    });

    it('delivers a tell to the listener with the envelope intact', async () => {
      const got = deferred<Envelope>();
      await a.listen(`${prefix}.echo`, (env) => void got.resolve(env));
      const sent = createEnvelope(`${prefix}.echo`, 'greet', { hello: 'world', n: 1 }, { from: 'tester', traceId: 'trace-1' });
      b.tell(sent);
      const env = await got.promise;
      expect(env).toMatchObject({ id: sent.id, type: 'greet', from: 'tester', traceId: 'trace-1', payload: { hello: 'world', n: 1 } });
    });

    it('answers an ask with the handler value, sync or async', async () => {
      await a.listen(`${prefix}.sync`, (env) => ({ doubled: (env.payload as number) * 2 }));
      await a.listen(`${prefix}.async`, async (env) => `hi ${String(env.payload)}`);
      expect(await b.ask(createEnvelope(`${prefix}.sync`, 'double', 21), 2_000)).toEqual({ doubled: 42 });
      expect(await b.ask(createEnvelope(`${prefix}.async`, 'hello', 'bob'), 2_000)).toBe('hi bob');
    });

    it('gives each of many concurrent asks its own answer', async () => {
      await a.listen(`${prefix}.square`, async (env) => {
        const n = env.payload as number;
        // Answers come back out of order: later asks finish first.
        await new Promise((resolve) => setImmediate(resolve, 200 - n));
        return n * n;
      });
      const ns = Array.from({ length: 200 }, (_, i) => i);
      expect(await Promise.all(ns.map((n) => b.ask(createEnvelope(`${prefix}.square`, 'sq', n), 5_000)))).toEqual(ns.map((n) => n * n));
    });

    it('carries a MoboError back to the asker with its code and details', async () => {
      await a.listen(`${prefix}.err`, () => {
        throw new MoboError('DS_ROW_NOT_FOUND', 'row 7 is gone', { details: { id: 7 } });
      });
      const err = await b.ask(createEnvelope(`${prefix}.err`, 'get', null), 2_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MoboError);
      expect(err).toMatchObject({ code: 'DS_ROW_NOT_FOUND', message: 'row 7 is gone', details: { id: 7 } });
    });

    it('hides unexpected errors behind INTERNAL without leaking their text', async () => {
      await a.listen(`${prefix}.boom`, async () => {
        throw new Error('secret database password is hunter2');
      });
      const err = (await b.ask(createEnvelope(`${prefix}.boom`, 'x', null), 2_000).catch((e: unknown) => e)) as MoboError;
      if (a.kind === 'nats') {
        expect(err.code).toBe('INTERNAL');
        expect(err.message).not.toContain('hunter2');
      } else {
        // In-process the raw error reaches the local caller (the actor cell turns it into ACTOR_CRASHED).
        expect(err).toBeInstanceOf(Error);
      }
    });

    it('rejects an ask to an address nobody listens on with ACTOR_NOT_FOUND', async () => {
      const err = await b.ask(createEnvelope(`${prefix}.nobody`, 'x', null), 2_000).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ACTOR_NOT_FOUND' });
    });

    it('rejects an unanswered ask with ACTOR_ASK_TIMEOUT', async () => {
      await a.listen(`${prefix}.silent`, () => new Promise(() => undefined));
      const err = await b.ask(createEnvelope(`${prefix}.silent`, 'x', null), 100).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ACTOR_ASK_TIMEOUT', details: { timeoutMs: 100 } });
    });

    it('refuses a second plain listener on a taken address in the same process', async () => {
      await a.listen(`${prefix}.one`, () => 1);
      await expect(a.listen(`${prefix}.one`, () => 2)).rejects.toMatchObject({ code: 'ACTOR_NAME_TAKEN' });
    });

    it('spreads a queue group: each message is handled by exactly one worker', async () => {
      const seen: string[] = [];
      const total = 40;
      const done = deferred();
      const worker = (id: string) => (env: Envelope) => {
        seen.push(`${id}:${String(env.payload)}`);
        if (seen.length === total) done.resolve();
        return id;
      };
      await a.listen(`${prefix}.pool`, worker('w1'), { queue: 'workers' });
      await a.listen(`${prefix}.pool`, worker('w2'), { queue: 'workers' });
      const answers = await Promise.all(
        Array.from({ length: total }, (_, i) => b.ask(createEnvelope(`${prefix}.pool`, 'job', i), 2_000)),
      );
      await done.promise;
      const handled = seen.map((s) => s.split(':')[1]).sort((x, y) => Number(x) - Number(y));
      expect(handled).toEqual(Array.from({ length: total }, (_, i) => String(i)));
      expect(new Set(answers).size).toBeGreaterThan(0);
      expect(answers.every((w) => w === 'w1' || w === 'w2')).toBe(true);
    });

    it('stops delivering once a listener is closed', async () => {
      const listener = await a.listen(`${prefix}.closing`, () => 'here');
      expect(await b.ask(createEnvelope(`${prefix}.closing`, 'x', null), 2_000)).toBe('here');
      await listener.close();
      await expect(b.ask(createEnvelope(`${prefix}.closing`, 'x', null), 2_000)).rejects.toMatchObject({ code: 'ACTOR_NOT_FOUND' });
    });

    it('fans a topic out to every subscriber in every process, with wildcards', async () => {
      const onA = deferred<[string, unknown]>();
      const onB = deferred<[string, unknown]>();
      const onWild = deferred<[string, unknown]>();
      a.subscribe(`${prefix}.events.created`, (topic, data) => onA.resolve([topic, data]));
      b.subscribe(`${prefix}.events.created`, (topic, data) => onB.resolve([topic, data]));
      b.subscribe(`${prefix}.events.*`, (topic, data) => onWild.resolve([topic, data]));
      await a.flush();
      await b.flush();
      a.publish(`${prefix}.events.created`, { id: 1 });
      expect(await onA.promise).toEqual([`${prefix}.events.created`, { id: 1 }]);
      expect(await onB.promise).toEqual([`${prefix}.events.created`, { id: 1 }]);
      expect(await onWild.promise).toEqual([`${prefix}.events.created`, { id: 1 }]);
    });

    it('delivers a topic message exactly once to a subscriber in the publishing process', async () => {
      const got: unknown[] = [];
      const second = deferred();
      a.subscribe(`${prefix}.once`, (_t, data) => {
        got.push(data);
        if (data === 2) second.resolve();
      });
      await a.flush();
      a.publish(`${prefix}.once`, 1);
      a.publish(`${prefix}.once`, 2);
      await second.promise;
      // NATS keeps order per connection: after a round trip, any echo of our own publish has arrived.
      await a.flush();
      expect(got).toEqual([1, 2]);
    });

    it('keeps a durable message until a listener handles it, redelivering after a failure', async () => {
      const address = `${prefix}.durable`;
      await b.tellDurable(createEnvelope(address, 'job', { n: 1 }));
      let attempts = 0;
      const done = deferred<unknown>();
      const listener = await a.listenDurable(address, (env) => {
        attempts++;
        if (attempts === 1) throw new Error('crash while handling');
        done.resolve(env.payload);
      });
      expect(await done.promise).toEqual({ n: 1 });
      expect(attempts).toBe(2);
      await listener.close();
    });
  });
}
