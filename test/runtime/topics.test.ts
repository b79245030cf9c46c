import { afterAll, describe, expect, it } from 'vitest';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import type { MoboNode } from '../../actors/node.js';
import { EventBus } from '../../runtime/eventbus.js';
import { LocalTransport } from '../../runtime/local-transport.js';
import { Logger } from '../../runtime/logger.js';
import { topics, TOPIC_ROOTS } from '../../runtime/topics.js';
import { startTestNode } from '../support/node.js';
import { deferred } from '../support/wait.js';

/** One topic of each family, with names users really give (dashes, underscores, odd table names). */
const SAMPLES: Record<(typeof TOPIC_ROOTS)[number], string[]> = {
  data: [topics.data.change('shop-1', 'main_db', 'order items'), topics.data.change('backup', 'progress', 'done')],
  job: [topics.job.event('backup', 'progress'), topics.job.event('bridge', 'done'), topics.job.schedule('backup', 'tick')],
  security: [topics.security.event('auth.keys'), topics.security.event('refresh.reused')],
  system: [topics.system.event('ready'), topics.system.event('config.changed')],
  health: [topics.health.changed],
  component: ['component.restarted'],
  api: ['api.ratelimit.usage'],
};

describe('event topics: one module, a root per family', () => {
  it("a wildcard of one family never hears another's events", async () => {
    const transport = new LocalTransport();
    const bus = new EventBus(transport, Logger.silent());
    const heard = new Map<string, string[]>();
    const finished: Array<Promise<void>> = [];
    for (const root of TOPIC_ROOTS) {
      const got: string[] = [];
      heard.set(root, got);
      const end = deferred();
      finished.push(end.promise);
      bus.on(`${root}.>`, (e) => {
        if (e.topic === `${root}.zz-end`) end.resolve();
        else got.push(e.topic);
      });
    }
    for (const list of Object.values(SAMPLES)) for (const topic of list) bus.emit(topic, {});
    for (const root of TOPIC_ROOTS) bus.emit(`${root}.zz-end`, {});
    await Promise.all(finished);
    for (const root of TOPIC_ROOTS) expect(heard.get(root), root).toEqual(SAMPLES[root]);
    // The families' own wildcards are exactly those roots.
    expect([topics.data.all, topics.job.all, topics.security.all, topics.system.all, topics.health.all]).toEqual(['data.>', 'job.>', 'security.>', 'system.>', 'health.>']);
    await bus.close();
    await transport.close();
  });

  describe('on a node', () => {
    let node: MoboNode;
    afterAll(() => node?.stop());

    it('a backup job reaches job listeners only; the change-feed wildcard hears only table changes', async () => {
      node = await startTestNode();
      const ask = (actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask(type, payload, { timeoutMs: 15_000 });
      await ask('catalog', 'project.create', { project: 'topics-shop' });
      await ask('catalog', 'source.add', { project: 'topics-shop', name: 'main', kind: 'sqlite', url: ':memory:' });
      const data = new DataClient(node.system.ref(sourceAddress('topics-shop', 'main')));
      await data.createTable({ name: 'items', primaryKey: ['id'], columns: [{ name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false }] });

      const changes: string[] = [];
      const jobs: string[] = [];
      node.system.events.on(topics.data.all, (e) => void changes.push(e.topic));
      node.system.events.on(topics.job.all, (e) => void jobs.push(e.topic));
      const done = node.system.events.once(topics.job.event('backup', 'done'));
      await ask('backup', 'backup.create', {});
      await done;
      const inserted = node.system.events.once(topics.data.change('topics-shop', 'main', 'items'));
      await data.insert('items', [{ id: 1 }], false);
      await inserted;

      expect(jobs).toContain('job.backup.done');
      expect(jobs.every((t) => t.startsWith('job.backup.'))).toBe(true);
      expect(changes).toEqual(['data.topics-shop.main.items']);
    });
  });
});
