import { describe, expect, it } from 'vitest';
import { BackgroundGate } from '../../actors/ds/background-gate.js';
import { deferred } from '../support/wait.js';

/** The line background connects and schema checks of the connection actors go through. */
describe('BackgroundGate', () => {
  it('runs a few at a time in order; hurry runs one at once, ahead of the line; cancel takes one out', async () => {
    const gate = new BackgroundGate(2);
    const started: number[] = [];
    const finish = Array.from({ length: 5 }, () => deferred());
    const tickets = finish.map((f, i) =>
      gate.enter(async () => {
        started.push(i);
        await f.promise;
      }),
    );
    expect(started).toEqual([0, 1]);
    expect(gate.pending).toBe(5);
    tickets[4]!.hurry();
    expect(started).toEqual([0, 1, 4]);
    tickets[2]!.cancel();
    expect(gate.pending).toBe(4);
    finish[0]!.resolve();
    finish[1]!.resolve();
    finish[4]!.resolve();
    // Each finished task gives its place to the next in line; the cancelled one never runs.
    const deadline = Date.now() + 10_000;
    while (gate.pending > 1 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 4, 3]);
    tickets[3]!.hurry();
    expect(started).toEqual([0, 1, 4, 3]);
    finish[3]!.resolve();
    while (gate.pending > 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(gate.pending).toBe(0);
  });
});
