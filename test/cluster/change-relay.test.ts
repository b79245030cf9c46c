/**
 * Durable change capture across a reader's failover: two reader processes (bench/change-reader.ts)
 * contend for one source's reader singleton on real NATS, an observer in this process only
 * consumes the source's JetStream stream, rows are inserted with psql while the holder is
 * killed with SIGKILL mid-stream, and every row reaches the observer (and the surviving
 * reader) exactly once, in commit order. Everything made is dropped: slot, publication,
 * stream, buckets, schema.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdapter, dropChangeCapture } from '../../adapters/index.js';
import type { ChangeEvent, SourceConfig } from '../../adapters/types.js';
import * as members from '../../bench/members.js';
import { JetStreamChangeRelay } from '../../cluster/change-relay.js';
import { clusterId, dropClusterBuckets, stopMembers, type MemberProcess } from '../support/members.js';
import { NATS_URL } from '../support/nats.js';
import { pgQuery } from '../support/sql.js';
import { waitFor } from '../support/wait.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const READER = resolve(fileURLToPath(new URL('../../dist/bench/change-reader.js', import.meta.url)));
const ROWS = 400;
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('logical replication reader failover through JetStream', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('a reader killed mid-stream is replaced; every change arrives exactly once, in commit order', { timeout: 180_000 }, async () => {
    const cluster = clusterId('cdc');
    const schema = `mobo_${cluster}`;
    const config: SourceConfig = { kind: 'postgres', url: PG_URL, namespace: schema, changes: 'logical', captureKey: `test_${cluster}` };
    await pgQuery(PG_URL, `CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".items (id integer PRIMARY KEY, note text)`);
    cleanups.push(() => pgQuery(PG_URL, `DROP SCHEMA "${schema}" CASCADE`));
    cleanups.push(() => dropClusterBuckets(cluster));
    const observerRelay = await JetStreamChangeRelay.open({ servers: NATS_URL, clusterId: cluster, nodeId: 'observer', runReaders: false });
    cleanups.push(() => observerRelay.close());
    cleanups.push(() => dropChangeCapture(config, observerRelay));

    const env = { PG_URL, MOBO_SCHEMA: schema, MOBO_CAPTURE_KEY: config.captureKey!, MOBO_LEASE_MS: '1000' };
    const readers: MemberProcess[] = ['r1', 'r2'].map((node) => members.spawnMember(NATS_URL, cluster, node, env, READER));
    cleanups.push(() => stopMembers(readers));
    await Promise.all(readers.map((r) => r.next((e) => e.ev === 'ready', 'ready', 60_000)));

    const observer = createAdapter(config, { changeRelay: observerRelay });
    await observer.connect();
    cleanups.push(() => observer.close());
    const seen: ChangeEvent[] = [];
    const feed = await observer.watch((e) => seen.push(e));
    cleanups.push(() => feed.close());

    const holder = await waitFor(() => readers.find((r) => r.events.some((e) => e.ev === 'holding' && e['holding'] === true)), 'a reader holds the slot', 30_000);
    const survivor = readers.find((r) => r !== holder)!;

    const writer = new pg.Client({ connectionString: PG_URL });
    await writer.connect();
    cleanups.push(() => writer.end());
    const insert = async (from: number, to: number): Promise<void> => {
      for (let id = from; id <= to; id++) {
        // Every tenth row shares a transaction with the next: the changes of one commit travel together.
        if (id % 10 === 0 && id < to) {
          await writer.query(`INSERT INTO "${schema}".items VALUES ($1, 'x'), ($2, 'x')`, [id, id + 1]);
          id++;
        } else await writer.query(`INSERT INTO "${schema}".items VALUES ($1, 'x')`, [id]);
      }
    };
    await insert(1, ROWS / 2);
    // Mid-stream: the holder has relayed part of them.
    await waitFor(() => seen.length >= ROWS / 4, 'the observer has a first part', 30_000);
    holder.signal('SIGKILL');
    await insert(ROWS / 2 + 1, ROWS);

    await waitFor(() => seen.length >= ROWS, `the observer has all ${ROWS} rows`, 60_000);
    await waitFor(() => survivor.events.some((e) => e.ev === 'holding' && e['holding'] === true), 'the survivor took the reader over', 30_000);
    // One row more: a duplicate on its way would have come before it.
    await writer.query(`INSERT INTO "${schema}".items VALUES ($1, 'last')`, [ROWS + 1]);
    await waitFor(() => seen.some((e) => e.row?.['id'] === ROWS + 1), 'the last row arrives', 30_000);
    expect(seen.map((e) => e.row?.['id'])).toEqual(upTo(ROWS + 1));
    const survivorIds = (): unknown[] => survivor.events.filter((e) => e.ev === 'change').map((e) => e['id']);
    await waitFor(() => survivorIds().length >= ROWS + 1, 'the survivor has every row', 30_000);
    expect(survivorIds()).toEqual(upTo(ROWS + 1));
  });
});
