import { useRef, useState } from 'preact/hooks';
import { admin, enc } from '../api.js';
import { Chart } from '../chart.js';
import { point, scrape, type Point, type Scrape } from '../metrics.js';
import { Action, ErrorLine, Section, usePoll } from '../ui.js';

interface Component {
  name: string;
  supervisor: string;
  kind: 'supervisor' | 'actor';
  state: string;
  health: string;
  restarts: number;
  postMs?: number;
}
interface Status {
  node: string;
  pid: number;
  mode: string;
  uptimeMs: number;
  rssBytes: number;
  components: Component[];
}

interface ClusterNode {
  node: string;
  state: 'joining' | 'up' | 'suspect' | 'down' | 'leaving';
  silentMs: number;
  http?: string;
}
interface ClusterStatus {
  mode: 'embedded' | 'cluster';
  cluster: string;
  node: string;
  traffic: { state: string; inFlight: number };
  singletons: Array<{ name: string; runsHere: boolean; term: number | null }>;
}

const WINDOW = 150; // points of 2 s: the last five minutes

/** Depth of each component under the root, from the flat parents-first list. */
function depths(components: Component[]): Map<string, number> {
  const depth = new Map<string, number>();
  for (const c of components) depth.set(c.name, (depth.get(c.supervisor) ?? -1) + 1);
  return depth;
}

function Head({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th scope="col">{c}</th>
        ))}
      </tr>
    </thead>
  );
}

function Tree({ status, refresh }: { status: Status; refresh: () => Promise<void> }) {
  const depth = depths(status.components);
  const act = (path: string) => async () => {
    await admin.post(path);
    await refresh();
  };
  return (
    <div class="scroll">
      <table aria-label="Supervision tree" id="tree">
        <Head columns={['component', 'supervisor', 'state', 'health', 'restarts', 'POST ms', 'actions']} />
        <tbody>
          {status.components.map((c) => (
            <tr data-component={c.name} data-state={c.state} data-restarts={c.restarts}>
              <th scope="row" class={`depth-${Math.min(depth.get(c.name) ?? 0, 4)}`}>
                {c.kind === 'supervisor' ? '▾ ' : ''}
                {c.name}
              </th>
              <td>{c.supervisor}</td>
              <td>
                <span class={`state state-${c.state}`}>{c.state}</span>
              </td>
              <td>
                <span class={`state health-${c.health}`}>{c.health}</span>
              </td>
              <td class="num">{c.restarts}</td>
              <td class="num">{c.postMs === undefined ? '—' : c.postMs.toFixed(1)}</td>
              <td class="actions">
                <Action label="Kill" kind="danger" title={`Kill ${c.name}`} run={act(`/chaos/kill/${enc(c.name)}`)} />
                {c.state === 'stopped' ? (
                  <Action label="Start" title={`Start ${c.name}`} run={act(`/components/${enc(c.name)}/start`)} />
                ) : (
                  <Action label="Stop" title={`Stop ${c.name}`} run={act(`/components/${enc(c.name)}/stop`)} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The cluster's nodes with their states as this node's failure detector sees them (embedded: this node alone). */
function Cluster() {
  const [nodes, setNodes] = useState<ClusterNode[] | undefined>(undefined);
  const [status, setStatus] = useState<ClusterStatus | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  usePoll(async () => {
    try {
      const [n, s] = await Promise.all([admin.get<ClusterNode[]>('/cluster/nodes'), admin.get<ClusterStatus>('/cluster')]);
      setNodes(n);
      setStatus(s);
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  }, 1_000);
  const here = new Set(status?.singletons.filter((x) => x.runsHere).map((x) => x.name) ?? []);
  return (
    <>
      <ErrorLine error={error} />
      {status && (
        <p class="muted" id="cluster-line">
          {status.mode === 'embedded' ? 'embedded: this node is the cluster' : `cluster ${status.cluster}`} · traffic {status.traffic.state} ({status.traffic.inFlight} in flight)
          {here.size > 0 ? ` · singletons here: ${[...here].join(', ')}` : ''}
        </p>
      )}
      <div class="scroll">
        <table aria-label="Cluster nodes" id="cluster-nodes">
          <Head columns={['node', 'state', 'HTTP', 'last heard']} />
          <tbody>
            {(nodes ?? []).map((n) => (
              <tr data-node={n.node} data-state={n.state}>
                <th scope="row">
                  {n.node}
                  {n.node === status?.node ? ' (this node)' : ''}
                </th>
                <td>
                  <span class={`state node-${n.state}`}>{n.state}</span>
                </td>
                <td>{n.http ?? '—'}</td>
                <td class="num">{n.silentMs} ms ago</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Charts() {
  const last = useRef<Scrape | undefined>(undefined);
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  usePoll(async () => {
    try {
      const res = await fetch('/metrics');
      const now = scrape(await res.text(), Date.now());
      if (last.current) {
        const p = point(last.current, now);
        setPoints((ps) => [...ps, p].slice(-WINDOW));
      }
      last.current = now;
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  }, 2_000);
  const col = (pick: (p: Point) => number | null) => points.map(pick);
  const x = col((p) => p.at);
  return (
    <>
      <ErrorLine error={error} />
      <div class="charts">
        <Chart title="Requests per second" unit="req/s" series={['requests']} data={[x, col((p) => p.rps)]} />
        <Chart title="Latency percentiles" unit="ms" series={['p50', 'p95', 'p99']} data={[x, col((p) => p.p50), col((p) => p.p95), col((p) => p.p99)]} />
        <Chart title="Errors per second" unit="err/s" series={['4xx', '5xx']} data={[x, col((p) => p.e4), col((p) => p.e5)]} />
        <Chart title="Connections" unit="clients" series={['realtime', 'MQTT']} data={[x, col((p) => p.realtime), col((p) => p.mqtt)]} />
      </div>
    </>
  );
}

/** The supervision tree live (1 s), chaos per component, the cluster's nodes, and the node's metrics over the last minutes. */
export function MotherboardPage() {
  const [status, setStatus] = useState<Status | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const refresh = async () => {
    try {
      setStatus(await admin.get<Status>('/status'));
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  };
  usePoll(refresh, 1_000);
  return (
    <>
      <ErrorLine error={error} />
      {status && (
        <p class="node-line" aria-label="Node">
          <strong>{status.node}</strong> · {status.mode} · pid {status.pid} · up {(status.uptimeMs / 1000).toFixed(0)} s · rss {(status.rssBytes / 1048576).toFixed(1)} MB
        </p>
      )}
      <Section title="Supervision tree">{status ? <Tree status={status} refresh={refresh} /> : <p class="muted">Loading…</p>}</Section>
      <Section title="Cluster nodes">
        <Cluster />
      </Section>
      <Section title="Metrics (last minutes)">
        <Charts />
      </Section>
    </>
  );
}
