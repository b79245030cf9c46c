import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';

describe('MagAuth with a configured issuer (auth.issuer)', () => {
  const dir = tempDir('mobo-iss-');
  let node: MoboNode;

  beforeAll(async () => {
    node = await startTestNode({ MOBO_AUTH__ISSUER: 'https://auth.example.com' }, dir);
    await node.system.ref(node.address('catalog')).ask('project.create', { project: 'shop' });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('signs access tokens with it and accepts them', async () => {
    const { access_token } = await node.system.ref(node.address('auth')).ask<{ access_token: string }>('token.issue', { project: 'shop', role: 'viewer' });
    expect(decodeJwt(access_token).iss).toBe('https://auth.example.com');
    const port = (JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/v1/shop/openapi.json`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(res.status).toBe(200);
  });
});
