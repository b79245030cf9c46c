import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultChaosOptions, runChaos, type ChaosRun } from '../../bench/chaos/run.js';

/**
 * A short Jepsen-style chaos run (bench/chaos/): three `mobo boot` nodes behind HAProxy on the
 * run's own three-server NATS cluster, writers with Idempotency-Keys, readers and realtime
 * subscribers, while the nemesis kills actors, kill -9s and restarts nodes, pauses nodes and
 * kills NATS servers. The checker must pass: no acknowledged write lost, none applied twice, no
 * stale read, no subscriber receiving a change twice or one that was never committed.
 *
 * The seed is fixed so every run faces the same sequence of faults (the timing still varies).
 * Availability floor: 99%, under the benchmark's 99.5%, because a kill -9 between a write's
 * commit and its idempotency record leaves that key claimed for `http.idempotency.inFlightMs`
 * (60 s, gateway/rest/idempotency.ts), longer than the client's 30 s deadline: those few writes
 * end unknown, not failed, and a short run has few operations to dilute them.
 * Realtime is on triggers + NOTIFY here, which promises at most once while a node's LISTEN
 * connection stands: gaps (killing the connection actor drops it) are reported, not failed; a
 * subscriber receiving a change twice, or one never committed, fails. Not on logical capture
 * yet, which promises exactly once but lost a few changes in one run with this seed: around a
 * NATS server's kill (all subscribers) and a connection actor's kill (that node's subscribers);
 * bench/RESULTS.md, "Chaos run", has both.
 */
describe('the chaos run', () => {
  let run: ChaosRun | undefined;
  const opts = defaultChaosOptions({ seconds: 45, seed: 15, minAvailability: 0.99, capture: 'trigger' });
  afterAll(() => {
    // The report stays when the test fails, for whoever reads the failure.
    if (run?.result.valid) rmSync(opts.out, { recursive: true, force: true });
  });

  it('loses no acknowledged write and applies none twice while nodes, actors and NATS servers die', async () => {
    run = await runChaos(opts);
    const { result } = run;
    expect(result.problems, `${run.markdown}\n(report in ${run.out})`).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.writes.lost).toEqual([]);
    expect(result.writes.duplicates).toEqual([]);
    expect(result.writes.acknowledged).toBeGreaterThan(0);
    // The nemesis did its job: every kind of fault happened (its first round is one of each), and each healed.
    expect(new Set(run.history.nemesis.map((e) => e.action))).toEqual(new Set(['kill-node', 'kill-actor', 'pause-node', 'kill-nats']));
    expect(run.history.nemesis.filter((e) => e.error !== undefined)).toEqual([]);
    const w = result.writes;
    console.info(
      `chaos: ${w.acknowledged}/${w.attempted} writes acknowledged, ${w.lost.length} lost, ${w.duplicates.length} duplicated, ${w.indeterminate} unknown; ` +
        `availability ${(result.availability.overall * 100).toFixed(3)}%; ${run.history.nemesis.length} faults; realtime gaps ${result.realtime.gaps}`,
    );
  }, 240_000);
});
