/**
 * A restore does not read the part it restores twice: the other parts are verified before
 * anything is written, and the restored part as it streams into its stage. A damaged frame that
 * holds only that part's rows (the up-front pass does not read it) must still fail the restore
 * with BACKUP_CORRUPT before the swap: live rows as they were, no safety archive, no stage left.
 * The Postgres part here spans several frames, and its three tables are read two at a time, so
 * their chunks interleave and the restore's COPYs run side by side (the third table's first
 * chunk ends one of them). A part sorted after it (project `zz`) makes the up-front pass jump
 * over the streamed part's frames to the next part's first one, whose position the encrypted
 * archive authenticates.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveSummary, Manifest, VerifyReport } from '../../actors/backup/index.js';
import { FRAME_HEAD_BYTES, TRAILER_BYTES } from '../../actors/backup/container.js';
import type { MoboNode } from '../../actors/node.js';
import { stagePrefix } from '../../adapters/sql/stage.js';
import { tempDir } from '../support/cli.js';
import { BackupJobs, PG_URL, items, itemsTable, pgAdmin, startBackupNode } from './support.js';
import { DataClient, sourceAddress } from '../../actors/ds/protocol.js';

const ROWS = 12_000;

describe.each([{ encrypted: false }, { encrypted: true }])('restore verifies the part it streams before its swap (encrypted: $encrypted)', ({ encrypted }) => {
  const dir = tempDir('mobo-streamed-verify-');
  const ns = `mobo_sv_${Math.random().toString(36).slice(2, 8)}`;
  let node: MoboNode;
  let jobs: BackupJobs;
  let manifest: Manifest;
  const archive = (id: string) => join(dir, 'backups', `${id}.mobo`);
  const counts = async () => (await pgAdmin(`SELECT (SELECT count(*) FROM "${ns}".big_a)::int AS a, (SELECT count(*) FROM "${ns}".big_b)::int AS b, (SELECT count(*) FROM "${ns}".big_c)::int AS c`)).rows[0];

  beforeAll(async () => {
    await pgAdmin(`CREATE SCHEMA "${ns}"`);
    for (const t of ['big_a', 'big_b', 'big_c']) {
      await pgAdmin(`CREATE TABLE "${ns}".${t} (id bigint PRIMARY KEY, body text NOT NULL)`);
      await pgAdmin(`INSERT INTO "${ns}".${t} SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, ${ROWS}) AS i`);
    }
    node = await startBackupNode(dir, {}, encrypted ? { MOBO_BACKUP__KEY: randomBytes(32).toString('base64') } : {});
    jobs = new BackupJobs(node);
    const catalog = node.system.ref(node.address('catalog'));
    await catalog.ask('project.create', { project: 'sv' });
    await catalog.ask('source.add', { project: 'sv', name: 'pg', kind: 'postgres', url: PG_URL, namespace: ns }, { timeoutMs: 15_000 });
    await catalog.ask('project.create', { project: 'zz' });
    await catalog.ask('source.add', { project: 'zz', name: 'main', kind: 'sqlite', url: join(dir, 'zz.db') });
    const zz = new DataClient(node.system.ref(sourceAddress('zz', 'main')));
    await zz.createTable(itemsTable('after'));
    await zz.insert('after', items(20), false);
    manifest = await jobs.result<Manifest>('backup.create', { reason: 'streamed verify' });
  }, 90_000);

  afterAll(async () => {
    jobs?.close();
    await node?.stop();
    await pgAdmin(`DROP SCHEMA IF EXISTS "${ns}" CASCADE`);
  });

  it('fails with BACKUP_CORRUPT on a frame of the streamed part alone, and changes nothing', async () => {
    const at = manifest.parts.findIndex((p) => p.name === 'sv/pg');
    const part = manifest.parts[at]!;
    expect(manifest.parts[at + 1]?.name).toBe('zz/main');
    expect(part.rows).toEqual({ big_a: ROWS, big_b: ROWS, big_c: ROWS });
    const bytes = readFileSync(archive(manifest.id));
    const end = manifest.parts[at + 1]?.start.offset ?? Number(bytes.readBigUInt64BE(bytes.length - TRAILER_BYTES));
    // The frame after the part's first one: it holds the part's rows and nothing else.
    const second = part.start.offset + FRAME_HEAD_BYTES + bytes.readUInt32BE(part.start.offset);
    const length = bytes.readUInt32BE(second);
    expect(second + FRAME_HEAD_BYTES + length).toBeLessThanOrEqual(end);
    const flip = second + FRAME_HEAD_BYTES + Math.floor(length / 2);
    bytes[flip] = bytes[flip]! ^ 0xff;
    const damaged = `${manifest.id}-damaged`;
    writeFileSync(archive(damaged), bytes);

    await pgAdmin(`DELETE FROM "${ns}".big_a WHERE id <= 10`);
    const listed = (await jobs.ref().ask<ArchiveSummary[]>('backup.list')).length;
    const failed = await jobs.run('backup.restore', { id: damaged, project: 'sv', force: true });
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CORRUPT' } });
    expect(await counts()).toEqual({ a: ROWS - 10, b: ROWS, c: ROWS });
    expect((await jobs.ref().ask<ArchiveSummary[]>('backup.list')).length).toBe(listed);
    const stages = await pgAdmin(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${stagePrefix(ns)}%`]);
    expect(stages.rows).toEqual([]);

    // The intact archive (the same bytes but the flipped one) restores.
    copyFileSync(archive(manifest.id), archive(`${manifest.id}-copy`));
    const restored = await jobs.run('backup.restore', { id: `${manifest.id}-copy`, project: 'sv', force: true });
    expect(restored.state).toBe('done');
    expect(await counts()).toEqual({ a: ROWS, b: ROWS, c: ROWS });
    expect((await jobs.result<VerifyReport>('backup.verify', { id: manifest.id })).ok).toBe(true);
  }, 120_000);
});
