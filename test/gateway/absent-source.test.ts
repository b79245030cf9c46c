import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { availableSources } from '../support/sources.js';

/**
 * A request to a source whose connection actor is not there (never was: no such source; or
 * away: its supervisor gave it up, or a cluster node has not started it yet) is told which of
 * the two it is, never an internal ACTOR_NOT_FOUND naming an address, and never that a table
 * the source holds does not exist.
 */
describe('REST on a source whose connection actor is absent', () => {
  const dir = tempDir('mobo-absent-');
  const table = 'todo_items';
  let node: MoboNode;
  let base: string;
  let key: string;
  const ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload, { timeoutMs: 15_000 });
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
  };
  const rows = (prefix: string, source: string) => `${prefix}/shop/${source}/${encodeURIComponent(table)}`;

  beforeAll(async () => {
    node = await startTestNode({}, dir);
    await ask('catalog', 'project.create', { project: 'shop' });
    const s = availableSources(dir)['sqlite']!;
    await ask('catalog', 'source.add', { project: 'shop', name: 'src-1', kind: s.kind, url: s.url });
    const data = new DataClient(node.system.ref(sourceAddress('shop', 'src-1')));
    await data.createTable({ name: table, primaryKey: ['id'], columns: [{ name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false }] });
    await data.insert(table, [{ id: 1 }], false);
    key = (await ask<{ key: string }>('auth', 'key.create', { project: 'shop', role: 'developer' })).key;
    base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('answers 404 DS_SOURCE_NOT_FOUND for a source the project does not have, in both dialects', async () => {
    const envelope = await get(rows('/v1', 'no-such'));
    expect(envelope.status).toBe(404);
    expect(envelope.body).toMatchObject({ error: { code: 'DS_SOURCE_NOT_FOUND', details: { source: 'no-such' } } });
    const pgrst = await get(rows('/rest/v1', 'no-such'));
    expect(pgrst.status).toBe(404);
    expect(pgrst.body).toMatchObject({ code: 'DS_SOURCE_NOT_FOUND' });
    expect(JSON.stringify([envelope.body, pgrst.body])).not.toContain('ds.shop');
  });

  it('answers 503 DS_UNAVAILABLE with Retry-After while the source has no actor, and serves again once it is back', async () => {
    expect((await get(rows('/v1', 'src-1'))).status).toBe(200);
    await node.tree.removeChild('shop.src-1');
    for (const prefix of ['/v1', '/rest/v1']) {
      const away = await get(rows(prefix, 'src-1'));
      expect(away.status).toBe(503);
      expect(away.retryAfter).toBe('1');
      expect(JSON.stringify(away.body)).toContain('DS_UNAVAILABLE');
      expect(JSON.stringify(away.body)).not.toContain('ds.shop');
    }
    await ask('catalog', 'sources.reconcile', null);
    const back = await get(rows('/v1', 'src-1'));
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ data: [{ id: 1 }] });
  });
});
