import { useEffect, useRef, useState } from 'preact/hooks';
import { admin, enc, paths, type Row } from '../api.js';
import { ErrorLine, Field, Form, Section, Table, text, useLoad, usePoll } from '../ui.js';
import { Mqtt } from './mqtt.js';
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

interface SocketRow {
  socketId: string;
  node: string;
  channels: string[];
  connectedAt: string;
  remoteAddress: string | null;
}

/** The project's occupied channels and connected sockets across the cluster, polled; the sockets optionally of one channel. */
function Realtime({ project }: { project: string }) {
  const app = useLoad(() => admin.get<RealtimeApp>(`${paths.project(project)}/realtime`), [project]);
  const [channels, setChannels] = useState<Row[] | undefined>(undefined);
  const [sockets, setSockets] = useState<SocketRow[] | undefined>(undefined);
  const [only, setOnly] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  usePoll(
    async () => {
      try {
        const base = `${paths.project(project)}/realtime`;
        const [c, s] = await Promise.all([admin.get<Row[]>(`${base}/channels`), admin.get<SocketRow[]>(`${base}/clients${only ? `?channel=${enc(only)}` : ''}`)]);
        setChannels(c);
        setSockets(s);
        setError(undefined);
      } catch (e) {
        setError(e);
      }
    },
    3_000,
    [project, only],
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
      <Section title="Connected clients">
        <label class="picker">
          <span>Only channel</span>
          <select value={only} onChange={(e) => (setSockets(undefined), setOnly(e.currentTarget.value))}>
            <option value="">(every channel)</option>
            {[...new Set([...(channels ?? []).map((c) => String(c.channel)), ...(only ? [only] : [])])].map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </label>
        <Table label="Connected clients" rows={sockets?.map((s) => ({ ...s, channels: s.channels.join(', ') }))} columns={['socketId', 'channels', 'connectedAt', 'remoteAddress', 'node']} empty="No clients connected" />
      </Section>
      {app.value && <Inspector app={app.value} />}
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

