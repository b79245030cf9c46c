import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { startTestNode } from '../support/node.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Bad input names the field, the value given and what is allowed; a failed connection says why. */
describe('MagDS error messages that help', () => {
  let node: MoboNode;
  const catalog = () => node.system.ref(node.address('catalog'));

  beforeAll(async () => {
    node = await startTestNode();
    await catalog().ask('project.create', { project: 'shop' });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('a bad project name: the field, the value and the rule', async () => {
    await expect(catalog().ask('project.create', { project: 'Bad Name!' })).rejects.toMatchObject({
      code: 'MESSAGE_INVALID',
      message: expect.stringMatching(/^Invalid project "Bad Name!": must start with a letter; lowercase letters, digits, _ and - only/),
      details: { field: 'project', value: 'Bad Name!' },
    });
  });

  it('an unknown kind lists the kinds', async () => {
    const err = await catalog().ask('source.add', { project: 'shop', name: 'legacy', kind: 'oracle', url: 'oracle://x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MESSAGE_INVALID', details: { field: 'kind', value: 'oracle', allowed: ['postgres', 'sqlite', 'mysql', 'redis', 'mongodb'] } });
    expect((err as Error).message).toMatch(/Invalid kind "oracle".*'postgres' \| 'sqlite'/);
  });

  it('never echoes a password field', async () => {
    const err = await node.system.ref(node.address('auth')).ask('user.create', { project: 'shop', email: 'a@example.com', password: 12345678 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MESSAGE_INVALID', details: { field: 'password' } });
    expect(JSON.stringify(err)).not.toContain('12345678');
  });

  it('a Postgres database that does not exist, or nothing listening: the real cause', async () => {
    const missing = new URL(PG_URL);
    missing.pathname = `/mobo_no_such_db_${Date.now()}`;
    await expect(catalog().ask('source.add', { project: 'shop', name: 'gone', kind: 'postgres', url: missing.toString() }, { timeoutMs: 15_000 })).rejects.toMatchObject({
      code: 'DS_UNAVAILABLE',
      message: 'Cannot reach the postgres source: The database does not exist on that server',
    });
    await expect(catalog().ask('source.add', { project: 'shop', name: 'off', kind: 'postgres', url: 'postgres://postgres:pw@127.0.0.1:1/test' }, { timeoutMs: 15_000 })).rejects.toMatchObject({
      code: 'DS_UNAVAILABLE',
      message: 'Cannot reach the postgres source: Nothing accepts connections at that host and port',
    });
  });
});
