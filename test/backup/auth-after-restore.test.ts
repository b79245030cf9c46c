import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatekeeperFor } from '../../actors/auth/gatekeeper.js';
import type { MoboNode } from '../../actors/node.js';
import { tempDir } from '../support/cli.js';
import { BackupJobs, startBackupNode } from './support.js';

describe('MagAuth after a restore', () => {
  const dir = tempDir('mobo-auth-restore-');
  let node: MoboNode;
  let jobs: BackupJobs;

  beforeAll(async () => {
    node = await startBackupNode(dir);
    jobs = new BackupJobs(node);
  });
  afterAll(async () => {
    jobs?.close();
    await node?.stop();
  });

  it('refuses a key the restore removed at once, even though the gatekeeper had it cached', async () => {
    const auth = node.system.ref(node.address('auth'));
    await node.system.ref(node.address('catalog')).ask('project.create', { project: 'shop' });
    const { id } = await jobs.result<{ id: string }>('backup.create', { reason: 'before the key' });
    const { key } = await auth.ask<{ key: string }>('key.create', { project: 'shop', role: 'developer' });
    const gate = gatekeeperFor(node);
    const headers = { authorization: `Bearer ${key}` };
    await expect(gate.authenticate(headers, 'shop', '127.0.0.1')).resolves.toMatchObject({ kind: 'api_key', role: 'developer' });
    await jobs.result('backup.restore', { id, force: true });
    await expect(gate.authenticate(headers, 'shop', '127.0.0.1')).rejects.toMatchObject({ code: 'AUTH_INVALID' });
  });
});
