import { useEffect, useRef, useState } from 'preact/hooks';
import { admin, enc, paths, type Row } from '../api.js';
import { Action, ErrorLine, Field, Form, Section, Table, text, useLoad, usePoll } from '../ui.js';
import { useProject } from './project-choice.js';

interface RealtimeApp {
  appId: string;
  key: string;
  websocketPath: string;
}
interface Seen {
  at: string;
  channel: string;
  event: string;
  data: string;
}
type PusherLike = { subscribe(name: string): { bind_global(cb: (event: string, data: unknown) => void): void }; unsubscribe(name: string): void; disconnect(): void; connection: { bind(e: string, cb: (s: { current: string }) => void): void } };

/** Subscribes with pusher-js (loaded only on this page) to the project's app on this node and lists what arrives. */
function Inspector({ app }: { app: RealtimeApp }) {
  const client = useRef<PusherLike | undefined>(undefined);
  const [state, setState] = useState('not connected');
  const [channels, setChannels] = useState<string[]>([]);
  const [seen, setSeen] = useState<Seen[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => () => client.current?.disconnect(), [app.key]);
  const connect = async (): Promise<PusherLike> => {
    if (client.current) return client.current;
    const { default: Pusher } = await import('pusher-js');
    const tls = location.protocol === 'https:';
    const port = Number(location.port || (tls ? 443 : 80));
    const pusher = new Pusher(app.key, { cluster: 'local', wsHost: location.hostname, wsPort: port, wssPort: port, forceTLS: tls, enabledTransports: ['ws', 'wss'], disableStats: true }) as unknown as PusherLike;
    pusher.connection.bind('state_change', (s) => setState(s.current));
    client.current = pusher;
    return pusher;
  };
  return (
    <Section title="Event inspector">
      <p class="muted">
        Connection: <span data-connection>{state}</span>
      </p>
      <Form
        label="Subscribe to a channel"
        submit="Subscribe"
        run={async (d) => {
          const name = text(d, 'channel');
          try {
            const pusher = await connect();
            pusher.subscribe(name).bind_global((event, data) => setSeen((s) => [{ at: new Date().toISOString(), channel: name, event, data: JSON.stringify(data) }, ...s].slice(0, 200)));
            setChannels((c) => (c.includes(name) ? c : [...c, name]));
          } catch (e) {
            setError(e);
          }
        }}
      >
        <Field label="Channel" name="channel" required placeholder="my-channel" />
      </Form>
      <ErrorLine error={error} />
      <ul class="list" aria-label="Subscribed channels">
        {channels.map((c) => (
          <li>
            {c}{' '}
            <button type="button" onClick={() => (client.current?.unsubscribe(c), setChannels((cs) => cs.filter((x) => x !== c)))}>
              Unsubscribe
            </button>
          </li>
        ))}
      </ul>
      <Table label="Events" rows={seen} columns={['at', 'channel', 'event', 'data']} empty="No events yet" />
    </Section>
  );
}

function Realtime({ project }: { project: string }) {
  const app = useLoad(() => admin.get<RealtimeApp>(`${paths.project(project)}/realtime`), [project]);
  const [channels, setChannels] = useState<Row[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  usePoll(
    async () => {
      try {
        setChannels(await admin.get<Row[]>(`${paths.project(project)}/realtime/channels`));
        setError(undefined);
      } catch (e) {
        setError(e);
      }
    },
    3_000,
    [project],
  );
  return (
    <>
      <Section title="Realtime channels">
        <ErrorLine error={app.error ?? error} />
        {app.value && (
          <p class="muted">
            app <code>{app.value.appId}</code> · key <code>{app.value.key}</code> · WebSocket <code>{app.value.websocketPath}</code>
          </p>
        )}
        <Table label="Occupied channels" rows={channels} columns={['channel', 'subscriptions']} empty="No occupied channels" />
      </Section>
      {app.value && <Inspector app={app.value} />}
    </>
  );
}

function Mqtt({ project }: { project: string }) {
  const q = `?project=${enc(project)}`;
  const stats = useLoad(() => admin.get<Row>('/mqtt/stats'), []);
  // With MQTT off (the default) the node has no clients to list: ask only when it is on.
  const enabled = stats.value?.enabled === true;
  const clients = useLoad(async (): Promise<Row[]> => (enabled ? admin.get<Row[]>(`/mqtt/clients${q}`) : []), [project, enabled]);
  const rules = useLoad(() => admin.get<Row[]>(`/mqtt/rules${q}`), [project]);
  return (
    <>
      <Section title="MQTT clients">
        <ErrorLine error={clients.error ?? stats.error} />
        {stats.value && <p class="muted">{Object.entries(stats.value).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' · ')}</p>}
        {stats.value && !enabled && <p class="muted">MQTT is off on this node (mqtt.enabled).</p>}
        <Table label="MQTT clients" rows={clients.value} actions={(c) => <Action label="Kick" kind="danger" title={`Kick ${String(c.clientId)}`} run={async () => (await admin.post(`/mqtt/clients/${enc(String(c.clientId))}/kick`), clients.reload())} />} empty="No clients connected" />
        <button type="button" onClick={() => (clients.reload(), stats.reload())}>
          Refresh
        </button>
      </Section>
      <Section title="MQTT ingest rules">
        <ErrorLine error={rules.error} />
        <Table label="Ingest rules" rows={rules.value} actions={(r) => <Action label="Remove" kind="danger" title={`Remove rule ${String(r.id)}`} run={async () => (await admin.del(`${paths.project(project)}/mqtt/rules/${enc(String(r.id))}`), rules.reload())} />} empty="No rules" />
        <Form
          label="Add ingest rule"
          submit="Add rule"
          run={async (d, form) => {
            const map = text(d, 'map');
            await admin.post(`${paths.project(project)}/mqtt/rules`, { topic: text(d, 'topic'), into: text(d, 'into'), ...(map ? { map: JSON.parse(map) as unknown } : {}) });
            form.reset();
            rules.reload();
          }}
        >
          <Field label="Topic filter" name="topic" placeholder="devices/+/telemetry" required />
          <Field label="Into (source.table)" name="into" placeholder="main.telemetry" required />
          <Field label="Column map (JSON, optional)" name="map" />
        </Form>
      </Section>
    </>
  );
}

/** MagWS and MagMQTT of one project: channels, a live inspector, MQTT clients and ingest rules. */
export function RealtimePage() {
  const { project, picker } = useProject();
  return (
    <>
      {picker}
      {project ? (
        <div key={project}>
          <Realtime project={project} />
          <Mqtt project={project} />
        </div>
      ) : (
        <p class="muted">Choose a project.</p>
      )}
    </>
  );
}

