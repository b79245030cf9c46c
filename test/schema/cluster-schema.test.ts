import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { schemaSource } from '../support/schema.js';
import { waitFor } from '../support/wait.js';
import { connectClient, disconnect, issueToken, projectApp, subscribed, testNodeOf, type PusherClient, type TestNode } from '../realtime/support.js';

interface Change {
  op: string;
  row: Record<string, unknown> | null;
}

/**
 * A schema change made on one node of a cluster is in force on the others at once, with the
 * periodic check off so only the announcement over NATS can tell them: node B's REST takes the
 * new column in the very next write, its OpenAPI shows it, and a pusher-js client on B gets the
 * changes of a table made on A, with the column added later in its payload.
 */
describe('a schema change on one node reaches the other nodes of the cluster (postgres)', () => {
  let cluster: TestCluster;
  let a: TestNode;
  let b: TestNode;
  let drop: () => Promise<void>;
  const clients: PusherClient[] = [];
  const src = '/v1/admin/projects/shop/sources/main';

  beforeAll(async () => {
    const source = await schemaSource('postgres');
    drop = source.drop;
    cluster = await startTestCluster('schema', 2, { MOBO_SCHEMA__CHECK_EVERY_MS: '0' });
    [a, b] = cluster.nodes.map((node, i) => testNodeOf(node, cluster.dirs[i]!)) as [TestNode, TestNode];
    await a.admin('POST', '/v1/admin/projects', { name: 'shop' });
    await a.admin('POST', '/v1/admin/projects/shop/sources', { name: 'main', ...source.config });
    // B starts its own connection actor for the source when it hears of it.
    await waitFor(async () => (await b.admin(`GET`, `${src}/tables`).then(() => true, () => false)), 'the source served on node B');
  });
  afterAll(async () => {
    await Promise.all(clients.map(disconnect));
    // A cluster captures durably: its replication slot outlives the nodes until the source is removed.
    await a?.admin('DELETE', src);
    await cluster?.stop();
    await drop?.();
  });

  it("B serves, documents and streams the table A made, and takes A's new column in its next write", async () => {
    await a.admin('POST', '/v1/admin/projects/shop/policies', { role: 'authenticated', table: 'notes', operations: ['read', 'create'], ownerColumn: 'owner_id' });
    await a.admin('POST', `${src}/tables`, {
      name: 'notes',
      columns: [
        { name: 'id', type: 'integer', identity: true },
        { name: 'owner_id', type: 'text', nullable: false },
        { name: 'body', type: 'text', nullable: false },
      ],
    });
    const app = await projectApp(b, 'shop');
    const ana = await issueToken(b, 'shop', 'ana', 'authenticated');
    const client = await connectClient(b, app, ana);
    clients.push(client);
    const channel = await subscribed(client, 'private-db-main.notes');
    const events: Change[] = [];
    channel.bind_global((e: string, d: Change) => void (e.startsWith('pusher') || events.push(d)));
    const post = (row: Record<string, unknown>) =>
      fetch(`${b.url}/v1/shop/main/notes`, { method: 'POST', headers: { authorization: `Bearer ${ana}`, 'content-type': 'application/json' }, body: JSON.stringify(row) });

    const first = await post({ body: 'on B' });
    expect(first.status, await first.clone().text()).toBe(201);
    await waitFor(() => events.length >= 1, 'the first change on the client of node B');
    expect(events[0]).toMatchObject({ op: 'INSERT', row: { owner_id: 'ana', body: 'on B' } });

    // A column added on A: B's very next write may use it (its cached schema was dropped by A's announcement).
    await a.admin('POST', `${src}/tables/notes/columns`, { name: 'tag', type: 'text', default: 'none' });
    const second = await post({ body: 'tagged "ü"', tag: 'red' });
    expect(second.status, await second.clone().text()).toBe(201);
    await waitFor(() => events.length >= 2, 'the second change on the client of node B');
    expect(events[1]).toMatchObject({ op: 'INSERT', row: { owner_id: 'ana', body: 'tagged "ü"', tag: 'red' } });

    const spec = (await (await fetch(`${b.url}/v1/shop/openapi.json`, { headers: { authorization: `Bearer ${ana}` } })).json()) as { components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> } };
    const notes = Object.entries(spec.components?.schemas ?? {}).find(([name]) => name.includes('notes'))?.[1];
    expect(Object.keys(notes?.properties ?? {})).toEqual(expect.arrayContaining(['id', 'owner_id', 'body', 'tag']));
  });
});
