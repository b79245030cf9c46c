import { afterAll, describe, expect, it } from 'vitest';
import { Cron } from '../../actors/backup/cron.js';
import { KvLease } from '../../cluster/kv-lease.js';
import { LocalLease } from '../../cluster/lease.js';
import { expired, parseAge } from '../../actors/backup/retention.js';
import type { ArchiveSummary } from '../../actors/backup/index.js';
import { ManualClock } from '../../runtime/clock.js';
import { tempDir } from '../support/cli.js';
import { NATS_URL } from '../support/nats.js';
import { startBackupNode } from './support.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('cron expressions (5 fields, UTC)', () => {
  it.each([
    ['0 3 * * *', '2030-01-01T02:58:00Z', '2030-01-01T03:00:00.000Z'],
    ['0 3 * * *', '2030-01-01T03:00:00Z', '2030-01-02T03:00:00.000Z'],
    ['*/15 * * * *', '2030-01-01T10:07:30Z', '2030-01-01T10:15:00.000Z'],
    ['30 2 1 * *', '2030-01-15T00:00:00Z', '2030-02-01T02:30:00.000Z'],
    ['0 0 * * mon', '2030-01-01T00:00:00Z', '2030-01-07T00:00:00.000Z'],
    ['0 12 29 feb *', '2030-03-01T00:00:00Z', '2032-02-29T12:00:00.000Z'],
    ['0 0 1 * 0', '2030-01-02T00:00:00Z', '2030-01-06T00:00:00.000Z'],
    ['5-10/5 8-9 * 1,6 7', '2030-05-31T23:00:00Z', '2030-06-02T08:05:00.000Z'], // a Sunday,
  ])('%s after %s runs at %s', (cron, after, next) => {
    expect(iso(Cron.parse(cron).next(at(after)))).toBe(next);
  });

  it.each(['0 3 * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '*/0 * * * *', '5-1 * * * *', 'x * * * *', '0 0 31 2 *'])('refuses "%s"', (cron) => {
    expect(() => Cron.parse(cron).next(0)).toThrow(expect.objectContaining({ code: 'BACKUP_SCHEDULE_INVALID' }));
  });
});

describe('retention', () => {
  const day = 86_400_000;
  const now = at('2030-01-10T00:00:00Z');
  const archives = [1, 2, 3, 4, 5].map((d) => ({ id: `b${d}`, createdAt: iso(now - d * day) }));

  it('keeps the newest N, removes by age, and with both never removes one of the newest N', () => {
    expect(expired(archives, { keep: 2 }, now).map((a) => a.id)).toEqual(['b5', 'b4', 'b3']);
    expect(expired(archives, { olderThanMs: 3 * day }, now).map((a) => a.id)).toEqual(['b5', 'b4']);
    expect(expired(archives, { keep: 4, olderThanMs: day }, now).map((a) => a.id)).toEqual(['b5']);
    expect(expired(archives, { keep: 10 }, now)).toEqual([]);
  });

  it('reads ages', () => {
    expect([parseAge('30m'), parseAge('12h'), parseAge('7d'), parseAge('2w'), parseAge('7'), parseAge('d')]).toEqual([1_800_000, 43_200_000, 604_800_000, 1_209_600_000, undefined, undefined]);
  });
});

describe('the backup schedule', () => {
  it('computes the next run, runs once when due (ManualClock), and can be turned off', async () => {
    const clock = new ManualClock(at('2030-01-01T02:58:00Z'));
    const node = await startBackupNode(tempDir('mobo-backup-cron-'), { clock });
    try {
      const backup = node.system.ref(node.address('backup'));
      await expect(backup.ask('backup.schedule.set', { cron: '0 3 * *' })).rejects.toMatchObject({ code: 'BACKUP_SCHEDULE_INVALID' });
      const view = await backup.ask<{ next: string }>('backup.schedule.set', { cron: '0 3 * * *', keep: 5 });
      expect(view).toEqual({ schedule: { cron: '0 3 * * *', keep: 5 }, next: '2030-01-01T03:00:00.000Z', timezone: 'UTC' });

      const ticks: Array<{ ran: boolean; dueAt: string }> = [];
      node.system.events.on<{ ran: boolean; dueAt: string }>('job.backup.schedule.tick', (e) => void ticks.push(e.payload));
      clock.advance(60_000);
      expect(ticks).toEqual([]);
      const first = node.system.events.once('job.backup.schedule.tick');
      clock.advance(60_000);
      await first;
      expect(ticks).toEqual([{ ran: true, dueAt: '2030-01-01T03:00:00.000Z', node: 'node1' }]);
      const listed = await backup.ask<ArchiveSummary[]>('backup.list');
      expect(listed.map((b) => [b.reason, b.createdAt])).toEqual([['scheduled', '2030-01-01T03:00:00.000Z']]);
      expect(await backup.ask('backup.schedule.get')).toMatchObject({ next: '2030-01-02T03:00:00.000Z' });

      clock.advance(23 * 3_600_000);
      expect(ticks).toHaveLength(1);
      await backup.ask('backup.schedule.set', { cron: null });
      clock.advance(2 * 3_600_000);
      expect(ticks).toHaveLength(1);
      expect(await backup.ask('backup.schedule.get')).toEqual({ schedule: null, next: null, timezone: 'UTC' });
    } finally {
      await node.stop();
    }
  });

  it('lets exactly one claimant run a due time (local lease)', async () => {
    const lease = new LocalLease();
    expect(await Promise.all([lease.claim(1000), lease.claim(1000)])).toEqual([true, false]);
    expect(await lease.claim(999)).toBe(false);
    expect(await lease.claim(2000)).toBe(true);
  });

  describe('in a cluster (JetStream KV compare-and-set)', () => {
    const leases: KvLease[] = [];
    afterAll(async () => {
      for (const l of leases) await l.close();
    });

    it('lets exactly one node of many claim each due time', async () => {
      const bucket = `mobo_backup_test_${Math.random().toString(36).slice(2, 8)}`;
      for (let i = 0; i < 4; i++) leases.push(await KvLease.open({ servers: NATS_URL, bucket, key: 'schedule' }));
      for (const dueAt of [at('2030-01-01T03:00:00Z'), at('2030-01-02T03:00:00Z')]) {
        const claims = await Promise.all(leases.map((l) => l.claim(dueAt)));
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(await leases[0]!.claim(dueAt)).toBe(false);
      }
    });
  });
});
