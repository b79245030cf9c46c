import { describe, expect, it } from 'vitest';
import { AnomalyDetector } from '../../actors/sentinel/anomaly.js';
import { BlockList, checkTarget } from '../../actors/sentinel/blocks.js';
import { BruteForce } from '../../actors/sentinel/brute-force.js';
import { sentinelConfig } from '../../actors/sentinel/config.js';
import { ManualClock } from '../../runtime/clock.js';
import { isMoboError } from '../../runtime/errors.js';

const config = (patch: Record<string, unknown> = {}) => sentinelConfig.schema.parse(patch);

describe('anomaly baselines (ManualClock)', () => {
  const anomaly = { intervalMs: 10_000, warmupIntervals: 3, alertMultiple: 5, blockMultiple: 20, floors: { requests: 5, errors: 2, rows: 10, tables: 2, notFound: 2 } };

  it('learns "10 rows a request", then alerts and blocks on an exfiltration of 10,000', () => {
    const clock = new ManualClock(0);
    const d = new AnomalyDetector(clock, () => config({ anomaly }).anomaly);
    for (let i = 0; i < 5; i++) {
      expect(d.observe('key:k1', { status: 200, rows: 10, table: 'shop/main/orders' })).toEqual([]);
      clock.advance(10_000);
    }
    expect(d.baselineOf('key:k1')!.intervals).toBe(4); // the fifth interval closes with the next request
    const found = d.observe('key:k1', { status: 200, rows: 10_000, table: 'shop/main/orders' });
    expect(found).toEqual([expect.objectContaining({ identity: 'key:k1', metric: 'rows', level: 'block', value: 10_000 })]);
    // One event per metric and interval, not one per request.
    expect(d.observe('key:k1', { status: 200, rows: 10_000 })).toEqual([]);
  });

  it('raises an alert first, then a block, for a scan through ids that answers 404s', () => {
    const clock = new ManualClock(0);
    const d = new AnomalyDetector(clock, () => config({ anomaly }).anomaly);
    for (let i = 0; i < 4; i++) {
      d.observe('ip:10.0.0.9', { status: 200, rows: 1 });
      clock.advance(10_000);
    }
    const levels: string[] = [];
    for (let id = 0; id < 60; id++) for (const a of d.observe('ip:10.0.0.9', { status: 404, rows: 0 })) if (a.metric === 'notFound') levels.push(a.level);
    expect(levels).toEqual(['alert', 'block']);
  });

  it('trusts no baseline before warm-up, and never flags traffic under the floors', () => {
    const clock = new ManualClock(0);
    const d = new AnomalyDetector(clock, () => config({ anomaly }).anomaly);
    expect(d.observe('ip:1.2.3.4', { status: 200, rows: 5_000 })).toEqual([]);
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      for (let r = 0; r < 4; r++) expect(d.observe('ip:5.6.7.8', { status: 200, rows: 9, table: `t${r % 2}` })).toEqual([]);
    }
  });
});

describe('brute force and stuffing (ManualClock)', () => {
  const bruteForce = { perIp: { failures: 3, windowMs: 60_000 }, perEmail: { failures: 2, windowMs: 60_000 }, accountsPerIp: 4, blockMs: 1_000, backoff: 3, maxBlockMs: 5_000 };

  it('blocks an IP after its failures in the window, longer each time, up to the cap', () => {
    const clock = new ManualClock(0);
    const b = new BruteForce(clock, () => config({ bruteForce }));
    const fail = () => b.record({ kind: 'login', ip: '10.0.0.1', node: 'n1' }).filter((v) => v.kind === 'ip');
    const durations: number[] = [];
    for (let round = 0; round < 4; round++) {
      expect(fail()).toEqual([]);
      expect(fail()).toEqual([]);
      const [v] = fail();
      durations.push(v!.durationMs);
      clock.advance(1_000);
    }
    expect(durations).toEqual([1_000, 3_000, 5_000, 5_000]);
  });

  it('forgets failures older than the window', () => {
    const clock = new ManualClock(0);
    const b = new BruteForce(clock, () => config({ bruteForce }));
    b.record({ kind: 'login', ip: '10.0.0.2', node: 'n1' });
    b.record({ kind: 'login', ip: '10.0.0.2', node: 'n1' });
    clock.advance(60_000);
    expect(b.record({ kind: 'login', ip: '10.0.0.2', node: 'n1' })).toEqual([]);
  });

  it('blocks an account under a password-guessing run from many addresses, and an address trying many accounts', () => {
    const clock = new ManualClock(0);
    const b = new BruteForce(clock, () => config({ bruteForce: { ...bruteForce, perIp: { failures: 100, windowMs: 60_000 } } }));
    b.record({ kind: 'login', ip: '10.0.0.3', emailHash: 'e1', node: 'n1' });
    expect(b.record({ kind: 'login', ip: '10.0.0.4', emailHash: 'e1', node: 'n2' })).toEqual([expect.objectContaining({ kind: 'email', value: 'e1' })]);
    const stuffing = ['a', 'b', 'c', 'd'].flatMap((e) => b.record({ kind: 'login', ip: '10.0.0.5', emailHash: e, node: 'n1' }));
    expect(stuffing).toEqual([expect.objectContaining({ kind: 'ip', value: '10.0.0.5', reason: 'failed logins for 4 accounts from this address' })]);
  });
});

describe('block list (ManualClock)', () => {
  it('lets a block lapse at its expiry, and keeps a permanent one', () => {
    const clock = new ManualClock(1_000);
    const list = new BlockList(clock, () => []);
    list.put({ kind: 'ip', value: '10.0.0.7', reason: 'r', source: 'operator', createdAt: 1_000, until: 2_000, strikes: 1, node: 'n' });
    list.put({ kind: 'key', value: 'k-1', reason: 'r', source: 'operator', createdAt: 1_000, until: null, strikes: 1, node: 'n' });
    expect(list.blockOf('ip', '::ffff:10.0.0.7')?.value).toBe('10.0.0.7');
    clock.advance(1_000);
    expect(list.blockOf('ip', '10.0.0.7')).toBeUndefined();
    expect(list.blockOf('key', 'k-1')).toBeDefined();
    expect(list.list().map((b) => b.value)).toEqual(['k-1']);
  });

  it('allows configured and added CIDR ranges, and checks what operators type', () => {
    const list = new BlockList(new ManualClock(), () => ['192.168.0.0/16']);
    list.putAllow({ kind: 'ip', value: '10.1.0.0/24', createdAt: 0, note: '' });
    expect(list.isAllowed('ip', '192.168.3.4')).toBe(true);
    expect(list.isAllowed('ip', '10.1.0.200')).toBe(true);
    expect(list.isAllowed('ip', '10.2.0.1')).toBe(false);
    for (const [kind, value] of [['ip', 'not an ip'], ['ip', '10.0.0.0/8'], ['planet', 'mars'], ['key', '  ']]) {
      try {
        checkTarget(kind!, value!);
        expect.unreachable(`${kind} ${value}`);
      } catch (err) {
        expect(isMoboError(err, 'SENTINEL_TARGET_INVALID')).toBe(true);
      }
    }
    expect(checkTarget('ip', '10.0.0.0/8', true).value).toBe('10.0.0.0/8');
  });
});
