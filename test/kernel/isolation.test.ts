import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatekeeperFor } from '../../actors/auth/gatekeeper.js';
import { API_KEYS } from '../../actors/auth/tables.js';
import type { ActorSlot, Board } from '../../actors/board.js';
import { defaultSlots } from '../../actors/components.js';
import { controlStore } from '../../actors/kernel/store-slot.js';
import { MoboNode } from '../../actors/node.js';
import { loadConfig } from '../../config/load.js';
import { Logger } from '../../runtime/logger.js';
import type { ChildStatus } from '../../supervisors/supervisor.js';
import { tempDir } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

/** A component written for this test: it keeps the board it was given, to try the tree with. */
function probeSlot(seen: { board?: Board; routeBoard?: Board }): ActorSlot {
  return {
    name: 'probe',
    group: 'ops',
    routes: (edge) => void (seen.routeBoard = edge.board),
    behavior: (board) => {
      seen.board = board;
      return { receive: () => null };
    },
  };
}

const find = (statuses: ChildStatus[], name: string): ChildStatus | undefined => {
  for (const s of statuses) {
    if (s.name === name) return s;
    const below = s.children && find(s.children, name);
    if (below) return below;
  }
  return undefined;
};

describe('a component sees the tree through a handle limited to its own children; restarts begin clean', () => {
  let node: MoboNode;
  const seen: { board?: Board; routeBoard?: Board } = {};
  const control = () => node.system.ref(node.address('control'));

  beforeAll(async () => {
    const dir = tempDir('mobo-iso-');
    const loaded = loadConfig({ cwd: dir, env: { MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dir, MOBO_HEALTH__INTERVAL_MS: '0' } });
    node = await MoboNode.create({ loaded, log: Logger.silent(), slots: [...defaultSlots(), probeSlot(seen)] });
    await node.boot();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('refuses to kill, stop or restart another component, or to add children outside its group, naming both', async () => {
    const tree = seen.board!.tree;
    expect(tree.names()).toContain('auth');
    expect(() => tree.killChild('auth')).toThrow(expect.objectContaining({ code: 'SUP_NOT_PERMITTED', details: { component: 'probe', action: 'kill', target: 'auth' } }));
    await expect(tree.stopChild('http')).rejects.toMatchObject({ code: 'SUP_NOT_PERMITTED', details: { target: 'http' } });
    await expect(tree.restartChild('catalog')).rejects.toMatchObject({ code: 'SUP_NOT_PERMITTED' });
    await expect(tree.removeChild('store')).rejects.toMatchObject({ code: 'SUP_NOT_PERMITTED' });
    const spec = { name: 'probe-child', create: () => node.system.spawn(node.address('probe-child'), () => ({ receive: () => 'hi' })) };
    await expect(tree.addChildTo('kernel', spec)).rejects.toMatchObject({ code: 'SUP_NOT_PERMITTED', details: { target: 'kernel' } });
    expect(find(node.tree.statuses(), 'auth')?.state).toBe('running');
    // A name that is nowhere in the tree gets the tree's own answer.
    await expect(tree.restartChild('no-such-thing')).rejects.toMatchObject({ code: 'SUP_CHILD_NOT_FOUND' });

    // Its own children, under its own group, are its to manage.
    await tree.addChildTo('ops', spec);
    expect(await node.system.ref(node.address('probe-child')).ask('x')).toBe('hi');
    await tree.restartChild('probe-child');
    expect(find(node.tree.statuses(), 'probe-child')?.restarts).toBe(1);
    await tree.removeChild('probe-child');
    expect(tree.names()).not.toContain('probe-child');
  });

  it('route code gets the edge group\'s handle: it reads the tree but cannot kill or stop a component', async () => {
    const tree = seen.routeBoard!.tree;
    expect(tree.names()).toContain('auth');
    expect(() => tree.killChild('auth')).toThrow(expect.objectContaining({ code: 'SUP_NOT_PERMITTED', details: expect.objectContaining({ component: 'the edge' }) }));
    await expect(tree.restartChild('store')).rejects.toMatchObject({ code: 'SUP_NOT_PERMITTED' });
  });

  it('operator commands go through the control actor, which has the whole tree', async () => {
    const before = find(node.tree.statuses(), 'probe')!.restarts;
    await control().ask('component.restart', { name: 'probe' });
    expect(find(node.tree.statuses(), 'probe')!.restarts).toBe(before + 1);
  });

  it('MagAuth restarting clears what the gatekeeper cached from its previous incarnation', async () => {
    const auth = node.system.ref(node.address('auth'));
    const catalog = node.system.ref(node.address('catalog'));
    await catalog.ask('project.create', { project: 'iso-shop' });
    const key = await auth.ask<{ id: string; key: string }>('key.create', { project: 'iso-shop', role: 'viewer' });
    const gate = gatekeeperFor(node);
    await expect(gate.authenticate({ apikey: key.key }, 'iso-shop', '127.0.0.1')).resolves.toMatchObject({ subject: key.id });
    // Revoked behind MagAuth's back (no invalidation sent): the cached lookup still answers.
    await controlStore(node).update(API_KEYS, { op: 'eq', column: 'id', value: key.id }, { revoked_at: new Date().toISOString() }, false);
    await expect(gate.authenticate({ apikey: key.key }, 'iso-shop', '127.0.0.1')).resolves.toMatchObject({ subject: key.id });
    await control().ask('component.restart', { name: 'auth' });
    await expect(gate.authenticate({ apikey: key.key }, 'iso-shop', '127.0.0.1')).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    expect(node.system.services.names()).toContain('auth.gatekeeper');
  });

  it('a restarted catalog reads which connection runs which source version back from the tree, restarting none', async () => {
    const catalog = node.system.ref(node.address('catalog'));
    await catalog.ask('project.create', { project: 'iso-data' });
    await catalog.ask('source.add', { project: 'iso-data', name: 'main', kind: 'sqlite', url: ':memory:' });
    const conn = find(node.tree.statuses(), 'iso-data.main')!;
    expect(conn.tag).toMatch(/^\d{4}-\d\d-\d\dT/);
    await control().ask('component.restart', { name: 'catalog' });
    await waitFor(() => find(node.tree.statuses(), 'catalog')?.state === 'running', 'catalog back');
    expect(find(node.tree.statuses(), 'iso-data.main')).toMatchObject({ state: 'running', restarts: 0, tag: conn.tag });
    await catalog.ask('source.remove', { project: 'iso-data', name: 'main' });
    expect(find(node.tree.statuses(), 'iso-data.main')).toBeUndefined();
  });
});
