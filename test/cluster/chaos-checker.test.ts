import { describe, expect, it } from 'vitest';
import { check, type CheckOptions } from '../../bench/chaos/checker.js';
import type { History, SubscriberLog, TableRow, WriteOp } from '../../bench/chaos/history.js';

/** The chaos run's checker on hand-made histories: it must fail exactly when the history shows a broken promise. */
const write = (id: string, start: number, end: number, outcome: WriteOp['outcome'] = 'ok', statuses: Array<number | 'timeout' | 'network'> = [201]): WriteOp => ({
  id,
  writer: 0,
  start,
  end,
  outcome,
  attempts: statuses.map((status, i) => ({ start: start + i, end: i === statuses.length - 1 ? end : start + i + 1, status })),
});
const rows = (...ids: string[]): TableRow[] => ids.map((writeId, seq) => ({ writeId, seq }));
const history = (over: Partial<History> = {}): History => ({ durationMs: 3_000, writes: [], reads: [], subscribers: [], nemesis: [], ...over });
const strict: CheckOptions = { realtime: 'exactly-once', minAvailability: 0.9 };

describe('the chaos checker', () => {
  it('passes a history where every acknowledged write is there once and every subscriber heard it', () => {
    const writes = [write('a', 100, 200), write('b', 1_100, 1_200)];
    const sub: SubscriberLog = { name: 's1', node: 'n1', sessions: [{ start: 50, end: null }], received: [{ writeId: 'a', seq: 1, at: 210 }, { writeId: 'b', seq: 2, at: 1_210 }] };
    const result = check(history({ writes, subscribers: [sub] }), rows('a', 'b'), strict);
    expect(result.problems).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.writes).toMatchObject({ acknowledged: 2, lost: [], duplicates: [] });
    expect(result.availability.overall).toBe(1);
  });

  it('fails on a lost acknowledged write and names it', () => {
    const result = check(history({ writes: [write('a', 100, 200), write('b', 300, 400)] }), rows('a'), strict);
    expect(result.valid).toBe(false);
    expect(result.writes.lost).toEqual(['b']);
    expect(result.problems.join('\n')).toMatch(/1 acknowledged write\(s\) lost: b/);
  });

  it('fails on a write applied twice, acknowledged or not', () => {
    const writes = [write('a', 100, 200), write('b', 300, 30_300, 'info', ['timeout', 503, 'network'])];
    const result = check(history({ writes }), rows('a', 'a', 'b', 'b'), strict);
    expect(result.valid).toBe(false);
    expect(result.writes.duplicates).toEqual([
      { id: 'a', count: 2 },
      { id: 'b', count: 2 },
    ]);
  });

  it('counts a write the client gave up on, present or not, without failing; fails a refused write that was applied and a row nobody wrote', () => {
    const writes = [write('gave-up', 100, 9_000, 'info', ['timeout', 'timeout']), write('gone', 100, 9_000, 'info', ['network']), write('refused', 100, 200, 'fail', [422])];
    const gaveUp = check(history({ writes: writes.slice(0, 2) }), rows('gave-up'), { ...strict, minAvailability: 0 });
    expect(gaveUp.valid).toBe(true);
    expect(gaveUp.writes).toMatchObject({ indeterminate: 2, indeterminatePresent: 1 });
    const refused = check(history({ writes }), rows('gave-up', 'refused', 'stranger'), { ...strict, minAvailability: 0 });
    expect(refused.writes.failedButApplied).toEqual(['refused']);
    expect(refused.writes.unknownRows).toEqual(['stranger']);
    expect(refused.valid).toBe(false);
  });

  it('fails a read that began after an acknowledgement and did not see the write', () => {
    const reads = [
      { writeId: 'a', start: 300, end: 310, outcome: 'ok' as const, found: true, attempts: [{ start: 300, end: 310, status: 200 }] },
      { writeId: 'a', start: 400, end: 410, outcome: 'ok' as const, found: false, attempts: [{ start: 400, end: 410, status: 200 }] },
    ];
    const result = check(history({ writes: [write('a', 100, 200)], reads }), rows('a'), strict);
    expect(result.reads.stale).toEqual([{ writeId: 'a', start: 400 }]);
    expect(result.valid).toBe(false);
  });

  it('names each subscriber gap: a write acknowledged inside a session and never received; writes outside every session are not gaps', () => {
    const writes = [write('before', 10, 20), write('inside', 100, 200), write('between', 600, 700), write('straddling', 950, 1_050), write('later', 1_500, 1_600)];
    const sub: SubscriberLog = {
      name: 's1',
      node: 'n1',
      sessions: [
        { start: 50, end: 500 },
        { start: 1_000, end: null },
      ],
      received: [{ writeId: 'later', seq: 3, at: 1_610 }],
    };
    const strictResult = check(history({ writes, subscribers: [sub] }), rows('before', 'inside', 'between', 'straddling', 'later'), { ...strict, deliveryGraceMs: 0 });
    expect(strictResult.realtime.subscribers[0]!.gaps).toEqual(['inside']);
    expect(strictResult.valid).toBe(false);
    // Triggers + NOTIFY promise at most once: the gap is reported, the run still passes.
    const lenient = check(history({ writes, subscribers: [sub] }), rows('before', 'inside', 'between', 'straddling', 'later'), { ...strict, realtime: 'at-most-once', deliveryGraceMs: 0 });
    expect(lenient.realtime.gaps).toBe(1);
    expect(lenient.valid).toBe(true);
  });

  it("ends a subscriber's session when its node is killed, though its client noticed later", () => {
    const writes = [write('before-kill', 100, 200), write('after-kill', 1_100, 1_200)];
    const sub: SubscriberLog = { name: 's1', node: 'n1', sessions: [{ start: 50, end: 1_900 }], received: [] };
    const killed = [{ action: 'kill-node' as const, target: 'n1', start: 1_000, end: 2_500 }];
    const result = check(history({ writes, subscribers: [sub], nemesis: killed }), rows('before-kill', 'after-kill'), { ...strict, minAvailability: 0, deliveryGraceMs: 0 });
    expect(result.realtime.subscribers[0]!.gaps).toEqual(['before-kill']);
    const otherNode = check(history({ writes, subscribers: [{ ...sub, node: 'n2' }], nemesis: killed }), rows('before-kill', 'after-kill'), { ...strict, minAvailability: 0, deliveryGraceMs: 0 });
    expect(otherNode.realtime.subscribers[0]!.gaps).toEqual(['before-kill', 'after-kill']);
  });

  it('does not expect a change acknowledged just before the session ended: it may have been on its way', () => {
    const writes = [write('early', 100, 200), write('just-before', 1_700, 1_800)];
    const sub: SubscriberLog = { name: 's1', node: 'n1', sessions: [{ start: 50, end: 1_900 }], received: [] };
    const result = check(history({ writes, subscribers: [sub] }), rows('early', 'just-before'), { ...strict, deliveryGraceMs: 500 });
    expect(result.realtime.subscribers[0]!.gaps).toEqual(['early']);
  });

  it("fails a subscriber that received one row's change twice, or one that is not in the table, under either promise", () => {
    const sub: SubscriberLog = { name: 's1', node: 'n1', sessions: [{ start: 0, end: null }], received: [{ writeId: 'a', seq: 4, at: 210 }, { writeId: 'a', seq: 4, at: 220 }, { writeId: 'ghost', seq: 6, at: 230 }] };
    const result = check(history({ writes: [write('a', 100, 200)], subscribers: [sub] }), rows('a'), { ...strict, realtime: 'at-most-once' });
    expect(result.realtime.subscribers[0]).toMatchObject({ repeats: ['a'], phantoms: ['ghost'] });
    expect(result.valid).toBe(false);
    // A write applied twice is two rows: its two changes are the duplicate's symptom, not a repeat.
    const twice: SubscriberLog = { ...sub, received: [{ writeId: 'a', seq: 4, at: 210 }, { writeId: 'a', seq: 5, at: 220 }] };
    const applied = check(history({ writes: [write('a', 100, 200)], subscribers: [twice] }), [{ writeId: 'a', seq: 4 }, { writeId: 'a', seq: 5 }], strict);
    expect(applied.realtime.subscribers[0]!.repeats).toEqual([]);
    expect(applied.writes.duplicates).toEqual([{ id: 'a', count: 2 }]);
  });

  it('measures availability per second and fails below the floor; a fault gets the window in which clients saw errors', () => {
    const writes = [write('a', 100, 200), write('b', 1_100, 1_900, 'ok', [503, 'network', 201]), write('c', 1_200, 1_300, 'info', ['timeout']), write('d', 2_100, 2_200)];
    const nemesis = [{ action: 'kill-node' as const, target: 'n1', start: 1_000, end: 2_000, restartMs: 800 }];
    const result = check(history({ writes, nemesis }), rows('a', 'b', 'd'), strict);
    expect(result.availability.overall).toBe(0.75);
    expect(result.availability.perSecond.map((s) => s.availability)).toEqual([1, 0.5, 1]);
    expect(result.availability.perSecond[1]).toMatchObject({ attemptErrors: 3, writesOk: 1, writesNotOk: 1 });
    expect(result.valid).toBe(false);
    expect(result.problems).toEqual(['availability 75.000% is below 90.000%']);
    expect(result.faults[0]).toMatchObject({ errorWindowMs: 300, target: 'n1' });
  });
});
