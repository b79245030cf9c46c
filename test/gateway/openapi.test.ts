import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { readNodeFile } from '../../gateway/node-file.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';

interface Spec {
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, unknown>>;
  info: { description: string; 'x-mobo-unavailable'?: Array<{ source: string; code: string }> };
}

describe('MagGate OpenAPI: what the credential may see, served from config, never failing for one source', () => {
  let node: MoboNode;
  let base: string;
  const auth = () => node.system.ref(node.address('auth'));
  const ask = <T>(type: string, payload: unknown) => auth().ask<T>(type, payload, { timeoutMs: 15_000 });
  const spec = async (key: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/v1/shop/openapi.json`, { headers: { apikey: key, ...headers } });
    expect(res.status).toBe(200);
    return (await res.json()) as Spec;
  };

  beforeAll(async () => {
    const dir = tempDir('mobo-openapi-');
    writeFileSync(join(dir, 'mobo.config.json'), JSON.stringify({ http: { publicUrl: 'https://api.example.com' } }));
    node = await startTestNode({}, dir);
    base = `http://127.0.0.1:${readNodeFile(dir)!.port}`;
    const catalog = node.system.ref(node.address('catalog'));
    await catalog.ask('project.create', { project: 'shop' });
    await catalog.ask('source.add', { project: 'shop', name: 'main', kind: 'sqlite', url: join(dir, 'shop.db') });
    const data = new DataClient(node.system.ref(sourceAddress('shop', 'main')));
    for (const name of ['orders', 'api_secrets']) {
      await data.createTable({ name, primaryKey: ['id'], columns: [{ name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false }] });
    }
    // A second source, whose connection actor is then stopped: it cannot describe its tables.
    await catalog.ask('source.add', { project: 'shop', name: 'down', kind: 'sqlite', url: join(dir, 'down.db') });
    await node.system.ref(node.address('control')).ask('component.stop', { name: 'shop.down' }, { timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('a key scoped to one table gets that table only; a developer key gets every table', async () => {
    const scoped = await ask<{ key: string }>('key.create', { project: 'shop', role: 'developer', scopes: { tables: ['orders'], operations: ['read'] } });
    const paths = (await spec(scoped.key)).paths;
    expect(Object.keys(paths).sort()).toEqual(['/v1/shop/main/orders', '/v1/shop/main/orders/{id}']);
    expect(Object.keys(paths['/v1/shop/main/orders/{id}']!)).toEqual(['get']);
    const developer = await ask<{ key: string }>('key.create', { project: 'shop', role: 'developer' });
    const full = await spec(developer.key);
    expect(Object.keys(full.paths)).toContain('/v1/shop/main/api_secrets');
    expect(Object.keys(full.paths['/v1/shop/main/orders/{id}']!).sort()).toEqual(['delete', 'get', 'patch', 'put']);
    const validation = await new Validator().validate(full as never);
    expect(validation.errors).toBeUndefined();
  });

  it('the public client key sees nothing until a policy opens a table, then only what it allows', async () => {
    const { publicKey } = await ask<{ publicKey: string }>('keys.show', { project: 'shop' });
    expect((await spec(publicKey)).paths).toEqual({});
    await ask('policy.set', { project: 'shop', policy: { role: 'anon', table: 'orders', operations: ['read', 'create'] } });
    const paths = (await spec(publicKey)).paths;
    expect(Object.keys(paths).sort()).toEqual(['/v1/shop/main/orders', '/v1/shop/main/orders/{id}']);
    expect(Object.keys(paths['/v1/shop/main/orders']!).sort()).toEqual(['get', 'post']);
  });

  it('takes its server URL from http.publicUrl, whatever Host the client sends', async () => {
    const developer = await ask<{ key: string }>('key.create', { project: 'shop', role: 'developer' });
    expect((await spec(developer.key, { host: 'evil.example' })).servers).toEqual([{ url: 'https://api.example.com' }]);
  });

  it('leaves a source that does not answer out, with a note, instead of failing the document', async () => {
    const sources = await node.system.ref(node.address('catalog')).ask<Array<{ name: string }>>('source.list', { project: 'shop' });
    expect(sources.map((s) => s.name)).toContain('down');
    const developer = await ask<{ key: string }>('key.create', { project: 'shop', role: 'developer' });
    const doc = await spec(developer.key);
    expect(doc.info['x-mobo-unavailable']).toEqual([expect.objectContaining({ source: 'down' })]);
    expect(doc.info.description).toContain('shop/down');
    expect(Object.keys(doc.paths)).toContain('/v1/shop/main/orders');
  });
});
