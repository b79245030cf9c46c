/**
 * A bare change-capture node, for the failover test and the benchmark: it watches one Postgres
 * source (schema MOBO_SCHEMA at PG_URL) captured by logical replication, its reader a
 * singleton of cluster MOBO_CLUSTER relayed through JetStream (cluster/change-relay.ts), and
 * prints one JSON line per event on stdout: `holding` when it starts or stops running the
 * reader, `change` for each change it receives (table, op, the row's `id`).
 *
 *   node dist/bench/change-reader.js   (configured by environment, see below)
 */
import { createAdapter } from '../adapters/index.js';
import { JetStreamChangeRelay } from '../cluster/change-relay.js';
import { monotonicMs } from './members.js';

const env = process.env;
const nodeId = env['MOBO_NODE'] ?? `reader-${process.pid}`;
const say = (ev: string, fields: Record<string, unknown> = {}): void => void process.stdout.write(JSON.stringify({ ev, node: nodeId, t: monotonicMs(), ...fields }) + '\n');

const relay = await JetStreamChangeRelay.open({
  servers: env['MOBO_NATS'] ?? '127.0.0.1:4222',
  clusterId: env['MOBO_CLUSTER'] ?? 'bench',
  nodeId,
  leaseMs: Number(env['MOBO_LEASE_MS'] ?? 1_000),
  onHolding: (_key, holding) => say('holding', { holding }),
  onError: (_key, err) => say('reader-error', { error: String((err as Error)?.message ?? err) }),
});
const adapter = createAdapter(
  { kind: 'postgres', url: env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test', namespace: env['MOBO_SCHEMA'] ?? 'public', changes: 'logical', captureKey: env['MOBO_CAPTURE_KEY'] ?? 'bench' },
  { changeRelay: relay },
);
await adapter.connect();
const feed = await adapter.watch((e) => say('change', { table: e.table, op: e.op, id: (e.row ?? e.old)?.['id'] ?? null }));
say('ready');

const stop = async (): Promise<void> => {
  await feed.close();
  await adapter.close();
  await relay.close();
  say('left');
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
