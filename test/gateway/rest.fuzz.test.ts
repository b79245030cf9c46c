import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';

describe('MagGate under fuzzed input', () => {
  const dir = tempDir('mobo-fuzz-');
  const table = 'things';
  let node: MoboNode;
  let base: string;
  let key: string;
  let data: DataClient;

  beforeAll(async () => {
    node = await startTestNode({ MOBO_RATE_LIMITS__PER_KEY__RPS: '100000', MOBO_RATE_LIMITS__PER_KEY__BURST: '100000', MOBO_RATE_LIMITS__PER_IP__RPS: '100000', MOBO_RATE_LIMITS__PER_IP__BURST: '100000' }, dir);
    const ask = <T>(actor: string, type: string, payload: unknown) => node.system.ref(node.address(actor)).ask<T>(type, payload);
    await ask('catalog', 'project.create', { project: 'fuzz' });
    await ask('catalog', 'source.add', { project: 'fuzz', name: 'lite', kind: 'sqlite', url: join(dir, 'fuzz.db') });
    data = new DataClient(node.system.ref(sourceAddress('fuzz', 'lite')));
    await data.createTable({
      name: table,
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer', nativeType: 'integer', nullable: false, hasDefault: false },
        { name: 'label', type: 'text', nativeType: 'text', nullable: false, hasDefault: false },
        { name: 'n', type: 'float', nativeType: 'real', nullable: true, hasDefault: false },
        { name: 'on', type: 'boolean', nativeType: 'integer', nullable: true, hasDefault: false },
      ],
    });
    await data.insert(table, [{ id: 1, label: 'one', n: 1, on: true }], false);
    key = (await ask<{ key: string }>('auth', 'key.create', { project: 'fuzz', role: 'developer' })).key;
    base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  });
  afterAll(async () => node?.stop());

  const word = fc.oneof(fc.constantFrom('id', 'label', 'n', 'on', 'select', 'order', 'or', 'and', 'limit', 'offset', 'page', 'sort', 'fields', 'q', 'not.or', 'nope'), fc.string({ maxLength: 8 }));
  const value = fc.oneof(
    fc.constantFrom('eq.1', 'gt.0', 'in.(1,2)', 'is.null', 'is.true', 'like.*o*', 'not.eq.1', '(id.eq.1,label.eq.x)', 'id.desc', 'id,label', "1' OR '1'='1", '%00', '-1', '99999999999', 'eq.', 'in.(', ''),
    fc.string({ maxLength: 16 }),
  );
  const query = fc.array(fc.tuple(word, value), { maxLength: 5 }).map((pairs) => new URLSearchParams(pairs).toString());
  const jsonBody = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.record({ id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), label: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), n: fc.oneof(fc.double(), fc.string()), extra: fc.string() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 40 }),
  );
  const headers = fc.record(
    {
      prefer: fc.constantFrom('return=representation', 'count=exact', 'return=minimal', 'garbage'),
      range: fc.oneof(fc.constantFrom('0-9', '5-', '9-0', 'x'), fc.string({ maxLength: 6 })),
      accept: fc.constantFrom('application/json', 'application/vnd.pgrst.object+json', '*/*'),
      'x-request-id': fc.string({ maxLength: 20 }),
    },
    { requiredKeys: [] },
  );
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
    path: fc.constantFrom('', '/1', '/2', '/x', '/%27'),
    prefix: fc.constantFrom('/v1', '/rest/v1'),
    query,
    body: jsonBody,
    headers,
  });

  it('never answers with a 500, a stack or a leak; errors are JSON with a stable code; rejected writes change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const before = await data.select({ table, order: [{ column: 'id', direction: 'asc' }] });
        const init: RequestInit = { method: r.method, headers: { ...r.headers, authorization: `Bearer ${key}`, 'content-type': 'application/json' } };
        if (r.method !== 'GET' && r.method !== 'DELETE') init.body = r.body;
        const res = await fetch(`${base}${r.prefix}/fuzz/lite/${table}${r.path}?${r.query}`, init);
        const text = await res.text();
        expect(res.status).toBeLessThan(500);
        expect(text).not.toMatch(/\n\s+at |node_modules|SQLITE_|syntax error/);
        if (res.status >= 400) {
          const body = JSON.parse(text) as { error?: { code: string }; code?: string };
          expect(body.error?.code ?? body.code).toMatch(/^[A-Z0-9_]+$/);
          expect(await data.select({ table, order: [{ column: 'id', direction: 'asc' }] })).toEqual(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});
