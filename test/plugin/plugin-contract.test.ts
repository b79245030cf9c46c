import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ComponentSlot } from '../../actors/board.js';
import { defaultSlots } from '../../actors/components.js';
import { configSections } from '../../actors/motherboard.js';
import { loadConfig } from '../../config/load.js';
import { configSection } from '../../config/section.js';
import { keyProtocol } from '../../actors/auth/protocol.js';
import { clientOf } from '../../runtime/protocol.js';
import { defineErrors, errorCatalogue, mqttReasonOf, pusherCodeOf, registerErrors } from '../../runtime/errors.js';
import { tempDir } from '../support/cli.js';
import { probeProtocol, probeSlot, seen, seenBodies } from './probe/index.js';
import { bootBoard, type BoardNode } from './support.js';

describe('the plug-in contract: a component brings its config, errors, protocol, routes and hooks', () => {
  let t: BoardNode;
  let apiKey: string;

  beforeAll(async () => {
    t = await bootBoard([probeSlot], { probe: { greeting: 'hej då' } });
    await t.admin('POST', '/v1/admin/projects', { name: 'plug-shop' });
    await t.admin('POST', '/v1/admin/projects/plug-shop/sources', { name: 'main', kind: 'sqlite', url: ':memory:' });
    apiKey = (await t.admin('POST', '/v1/admin/projects/plug-shop/keys', { role: 'developer' })).json.data.key;
  });
  afterAll(() => t?.node.stop());

  it('boots the component in its group, with its config section read from the file', async () => {
    const status = (await t.admin('GET', '/v1/admin/status')).json.data;
    expect(status.components).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'probe', supervisor: 'ops', state: 'running' })]));
    const res = await fetch(`${t.url}/v1/_/probe/greet`, { method: 'POST', body: JSON.stringify({ name: 'Zoë "quoted"' }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data).toEqual({ text: 'hej då, Zoë "quoted"', count: 1 });
  });

  it('answers its protocol through a typed client, refusing a payload that does not match the schema', async () => {
    const probe = clientOf(probeProtocol, t.node.system.ref(t.node.address('probe')));
    const greeted = await probe.ask('probe.greet', { name: 'typed' });
    expect(greeted.text).toBe('hej då, typed');
    expect(await probe.ask('probe.count', null)).toBe(greeted.count);
    await expect(probe.ask('probe.greet', { name: '' })).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
  });

  it("gives MagAuth's key messages one protocol: typed client at the edge, schema at the actor", async () => {
    const keys = clientOf(keyProtocol, t.node.system.ref(t.node.address('auth')));
    const created = await keys.ask('key.create', { project: 'plug-shop', name: 'typed "key" ✓', role: 'viewer' });
    expect(created.key).toMatch(/^ak_plug-shop_/);
    const listed = await keys.ask('key.list', { project: 'plug-shop' });
    expect(listed.find((k) => k.id === created.id)).toMatchObject({ name: 'typed "key" ✓', role: 'viewer', revoked_at: null });
    expect(listed.every((k) => !('key' in k))).toBe(true);
    await expect(keys.ask('key.revoke', { project: 'plug-shop', id: '' })).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
    expect((await keys.ask('key.revoke', { project: 'plug-shop', id: created.id })).revoked_at).not.toBeNull();
  });

  it('refuses from its hook with its own error code, mapped to HTTP, Pusher and MQTT by the catalogue', async () => {
    const res = await fetch(`${t.url}/v1/plug-shop/main/anything?block=forbidden`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(res.status).toBe(451);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'PROBE_BLOCKED', message: 'The probe refused this request' });
    expect(errorCatalogue().get('PROBE_BLOCKED')).toMatchObject({ owner: 'probe', status: 451 });
    expect(pusherCodeOf('PROBE_BLOCKED')).toBe(4301);
    expect(mqttReasonOf('PROBE_BLOCKED')).toBe(0x9a);
  });

  it("shows its hook every request's method, path, query and body values, headers without credentials, ip and principal", async () => {
    seen.length = 0;
    seenBodies.length = 0;
    const res = await fetch(`${t.url}/v1/plug-shop/main/no_such_table?name=eq.o'brien&x-y=%E2%9C%93`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'x-trace': 'abc' },
      body: JSON.stringify({ note: 'DROP TABLE users; --', nested: { n: 1 } }),
    });
    expect(res.status).toBe(404); // the table does not exist: the hook still saw the request first
    const view = seen.find((v) => v.path === '/v1/plug-shop/main/no_such_table')!;
    expect(view).toBeDefined();
    expect(view).toMatchObject({ method: 'POST', route: '/v1/:project/:source/:table', component: 'rest', ip: expect.stringContaining('127.0.0.1') });
    expect(view.params).toEqual({ project: 'plug-shop', source: 'main', table: 'no_such_table' });
    expect(view.query.get('name')).toBe("eq.o'brien");
    expect(view.query.get('x-y')).toBe('✓');
    expect(view.header('x-trace')).toBe('abc');
    expect(view.header('content-type')).toBe('application/json');
    expect(view.header('authorization')).toBeUndefined();
    expect(view.principal).toMatchObject({ kind: 'api_key', project: 'plug-shop', role: 'developer' });
    expect(seenBodies[seen.indexOf(view)]).toEqual({ note: 'DROP TABLE users; --', nested: { n: 1 } });
  });

  it('refuses an unknown key of its section, naming key, value and source', () => {
    const dir = tempDir('mobo-plug-cfg-');
    writeFileSync(join(dir, 'mobo.config.json'), JSON.stringify({ probe: { greting: 'typo' } }));
    const sections = configSections([...defaultSlots(), probeSlot]);
    expect(() => loadConfig({ cwd: dir, env: {}, sections })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('greting') }));
    expect(() => loadConfig({ cwd: dir, env: { MOBO_PROBE__GREETING: '""' }, sections })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', details: expect.objectContaining({ key: 'probe.greeting', value: '', source: 'MOBO_PROBE__GREETING' }) }),
    );
    // Without the component on the board, its section is an unknown key like any other.
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('probe') }));
    const clash = configSection('http', z.object({}).strict().default({}));
    expect(() => loadConfig({ cwd: tempDir(), env: {}, sections: [clash] })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('"http"') }));
  });
});

describe('the error catalogue', () => {
  it('refuses a code two components declare, naming both', () => {
    registerErrors('probe', { PROBE_BLOCKED: { status: 451, message: 'The probe refused this request', pusher: 4301, mqtt: 0x9a } }); // the same owner again: fine
    expect(() => registerErrors('intruder', { PROBE_BLOCKED: { status: 400, message: 'mine' } })).toThrow(/PROBE_BLOCKED is declared by both probe and intruder/);
    expect(() => registerErrors('intruder', { AUTH_REQUIRED: { status: 401, message: 'mine' } })).toThrow(/AUTH_REQUIRED is declared by both runtime and intruder/);
    expect(() => registerErrors('intruder', { 'bad-code': { status: 400, message: 'x' } })).toThrow(/UPPER_SNAKE_CASE/);
  });

  it('fails boot when a component brings a code that is taken', async () => {
    const dup: ComponentSlot = { name: 'dup-errors', group: 'ops', errors: defineErrors({ DS_UNAVAILABLE: { status: 503, message: 'again' } }) };
    await expect(bootBoard([dup])).rejects.toMatchObject({ code: 'COMPONENT_INVALID', message: expect.stringContaining('DS_UNAVAILABLE is declared by both runtime and dup-errors') });
  });

  it('has every entry well formed, and the README lists exactly its codes', () => {
    for (const [code, entry] of errorCatalogue()) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(entry.status >= 400 && entry.status <= 599, code).toBe(true);
      expect(entry.message.length, code).toBeGreaterThan(0);
    }
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('<!-- error-codes:start -->'), readme.indexOf('<!-- error-codes:end -->'));
    const listed = [...section.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]).sort();
    const owned = [...errorCatalogue()].filter(([, e]) => e.owner === 'runtime' || defaultSlots().some((s) => s.name === e.owner)).map(([code]) => code).sort();
    expect(listed).toEqual(owned);
  });
});
