import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentSlot } from '../../actors/board.js';
import type { RouteHandler } from '../../gateway/http-types.js';
import { Router } from '../../gateway/router.js';
import { deferred, waitFor } from '../support/wait.js';
import { bootBoard, type BoardNode } from './support.js';

const handler: RouteHandler = () => ({ status: 200 });
const withRoute = (name: string, method: string, pattern: string): ComponentSlot => ({ name, group: 'ops', routes: ({ router }) => void router.add(method, pattern, handler) });

describe('the route table', () => {
  it('matches by specificity, whatever the order routes were added in', () => {
    for (const order of [0, 1]) {
      const router = new Router();
      const routes = [
        { method: 'GET', pattern: '/v1/:project/:source/:table', owner: 'rest', handler, options: {} },
        { method: 'GET', pattern: '/v1/auth/:project/user', owner: 'auth-routes', handler, options: {} },
      ];
      for (const r of order === 0 ? routes : routes.reverse()) router.add(r);
      expect(router.match('GET', '/v1/auth/shop/user').route.owner).toBe('auth-routes');
      expect(router.match('GET', '/v1/shop/main/user')).toMatchObject({ pattern: '/v1/:project/:source/:table', params: { project: 'shop', source: 'main', table: 'user' } });
      expect(router.match('GET', '/v1/it%C3%A9m-x/a%20b/%22q%22').params).toEqual({ project: 'itém-x', source: 'a b', table: '"q"' });
      expect(() => router.match('POST', '/v1/auth/shop/user')).toThrow(expect.objectContaining({ code: 'HTTP_METHOD_NOT_ALLOWED' }));
      expect(() => router.match('GET', '/v1/auth/shop')).toThrow(expect.objectContaining({ code: 'HTTP_NOT_FOUND' }));
      expect(() => router.match('GET', '/v1/a/%E0%A4%A/c')).toThrow(expect.objectContaining({ code: 'HTTP_NOT_FOUND' }));
    }
  });

  it('refuses a duplicate and a route that would shadow another, naming both', () => {
    const router = new Router();
    router.add({ method: 'GET', pattern: '/v1/:project/:source/:table', owner: 'rest', handler, options: {} });
    expect(() => router.add({ method: 'get', pattern: '/v1/:project/:source/:table', owner: 'copycat', handler, options: {} })).toThrow(
      'Route GET /v1/:project/:source/:table (copycat) is already served by GET /v1/:project/:source/:table (rest)',
    );
    expect(() => router.add({ method: 'GET', pattern: '/v1/:a/:b/:c', owner: 'copycat', handler, options: {} })).toThrow(
      'Route GET /v1/:a/:b/:c (copycat) would shadow GET /v1/:project/:source/:table (rest)',
    );
    // The same shape with another method is a different route.
    expect(router.add({ method: 'POST', pattern: '/v1/:a/:b/:c', owner: 'other', handler, options: {} }).owner).toBe('other');
  });
});

describe('routes at boot, reserved project names, and a slot restarting behind the listener', () => {
  let t: BoardNode;
  const gate = { current: deferred() };
  let starts = 0;
  const slow: ComponentSlot = {
    name: 'slow',
    group: 'ops',
    behavior: () => ({
      async start() {
        // The first start is immediate; a restart waits until the test lets it go.
        if (starts++ > 0) await gate.current.promise;
      },
      receive: () => null,
    }),
    routes: ({ router }) => void router.get('/v1/_/slow/ping', () => ({ status: 200, body: { pong: starts } })),
  };

  beforeAll(async () => {
    t = await bootBoard([slow]);
  });
  afterAll(() => t?.node.stop());

  it('fails boot on a route another component serves, or one that would shadow it, naming both', async () => {
    await expect(bootBoard([withRoute('dup-health', 'GET', '/health')])).rejects.toMatchObject({
      code: 'SUP_POST_FAILED',
      message: expect.stringContaining('Route GET /health (dup-health) is already served by GET /health (admin)'),
    });
    await expect(bootBoard([withRoute('shadow', 'DELETE', '/v1/:p/:s/:t/:row')])).rejects.toMatchObject({
      message: expect.stringContaining('Route DELETE /v1/:p/:s/:t/:row (shadow) would shadow DELETE /v1/:project/:source/:table/:id (rest)'),
    });
    await expect(bootBoard([withRoute('squatter', 'GET', '/v1/shop/items')])).rejects.toMatchObject({
      message: expect.stringContaining('puts "shop" where project names go'),
    });
  });

  it('refuses project names the routes use, naming the name and the reserved list', async () => {
    for (const name of ['auth', 'admin', 'realtime', 'rest', 'mqtt']) {
      const res = await t.admin('POST', '/v1/admin/projects', { name });
      expect(res.status, name).toBe(400);
      expect(res.json.error, name).toMatchObject({ code: 'DS_PROJECT_NAME_RESERVED', message: expect.stringContaining(`"${name}"`) });
      expect(res.json.error.message).toContain('reserved names: _, admin, auth');
      expect(res.json.error.details.reserved).toEqual(expect.arrayContaining(['auth', 'admin', 'realtime', 'rest', '_']));
    }
    for (const name of ['authentic', 'app', 'data', 'backup']) expect((await t.admin('POST', '/v1/admin/projects', { name })).status, name).toBe(201);
  });

  it('answers 503 COMPONENT_RESTARTING on the routes of a component while it restarts, and serves again once it is back', async () => {
    expect((await fetch(`${t.url}/v1/_/slow/ping`)).status).toBe(200);
    gate.current = deferred();
    t.node.tree.killChild('slow', 'test');
    const during = await waitFor(async () => {
      const res = await fetch(`${t.url}/v1/_/slow/ping`);
      return res.status === 503 ? ((await res.json()) as any) : undefined;
    }, 'the route answers 503 while its component restarts');
    expect(during.error).toMatchObject({ code: 'COMPONENT_RESTARTING', details: { component: 'slow' } });
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    gate.current.resolve();
    await waitFor(async () => (await fetch(`${t.url}/v1/_/slow/ping`)).status === 200, 'the route serves again');
  });
});
