import { describe, expect, it } from 'vitest';
import { ConsumerStopped, handoff } from '../../adapters/handoff.js';
import type { Emit } from '../../adapters/handoff.js';

/** Lets every pending callback run (no timer involved). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A producer inside a "transaction": records how far it got and how it ended. */
function recordingProducer(items: number[], failAfter?: number) {
  const log: string[] = [];
  const produce = async (emit: Emit<number>): Promise<void> => {
    log.push('begin');
    try {
      for (const item of items) {
        if (failAfter !== undefined && item > failAfter) throw new Error('the producer failed');
        log.push(`emit ${item}`);
        await emit(item);
      }
      log.push('commit');
    } catch (err) {
      log.push(err instanceof ConsumerStopped ? 'rollback (stopped)' : 'rollback (failed)');
      throw err;
    } finally {
      log.push('release');
    }
  };
  return { log, produce };
}

describe('handoff: a callback-scoped producer as an async iterable', () => {
  it('starts on the first next() and runs at most one item ahead of the consumer', async () => {
    const { log, produce } = recordingProducer([1, 2, 3]);
    const iterator = handoff(produce)[Symbol.asyncIterator]();
    await settled();
    expect(log).toEqual([]);
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await settled();
    expect(log).toEqual(['begin', 'emit 1', 'emit 2']);
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    await settled();
    expect(log).toEqual(['begin', 'emit 1', 'emit 2', 'emit 3']);
    expect(await iterator.next()).toEqual({ done: false, value: 3 });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(log.slice(-2)).toEqual(['commit', 'release']);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('unwinds the producer before a consumer that stops early goes on', async () => {
    const { log, produce } = recordingProducer([1, 2, 3]);
    for await (const item of handoff(produce)) {
      expect(item).toBe(1);
      break;
    }
    expect(log.slice(-2)).toEqual(['rollback (stopped)', 'release']);
    expect(log).not.toContain('emit 3');
  });

  it('unwinds the producer when the consumer throws, and the consumer sees its own error', async () => {
    const { log, produce } = recordingProducer([1, 2, 3]);
    const consume = async () => {
      for await (const _item of handoff(produce)) throw new Error('the consumer failed');
    };
    await expect(consume()).rejects.toThrow('the consumer failed');
    expect(log.slice(-2)).toEqual(['rollback (stopped)', 'release']);
  });

  it("hands the producer's failure to the pending next()", async () => {
    const { log, produce } = recordingProducer([1, 2, 3], 1);
    const seen: number[] = [];
    const consume = async () => {
      for await (const item of handoff(produce)) seen.push(item);
    };
    await expect(consume()).rejects.toThrow('the producer failed');
    expect(seen).toEqual([1]);
    expect(log).toEqual(['begin', 'emit 1', 'rollback (failed)', 'release']);
  });

  it('reports a failure raised while unwinding from return()', async () => {
    const iterator = handoff<number>(async (emit) => {
      try {
        await emit(1);
        await emit(2);
      } finally {
        throw new Error('the rollback failed');
      }
    })[Symbol.asyncIterator]();
    await iterator.next();
    await expect(iterator.return!()).rejects.toThrow('the rollback failed');
  });

  it('returns at once when stopped before it started, without running the producer', async () => {
    const { log, produce } = recordingProducer([1]);
    const iterator = handoff(produce)[Symbol.asyncIterator]();
    expect(await iterator.return!()).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(log).toEqual([]);
  });
});
