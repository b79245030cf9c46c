import { admin, enc, paths, type Row } from '../api.js';
import { Action, ErrorLine, Field, Form, Section, Table, text, useLoad } from '../ui.js';

interface MqttClient extends Row {
  clientId: string;
  subscriptions: string[];
}

/** The topic filters this node's MQTT clients subscribe to, each with its subscribers (from the client list: no second question to the broker). */
export function topicsOf(clients: MqttClient[]): Array<{ topic: string; subscribers: number; clients: string }> {
  const by = new Map<string, string[]>();
  for (const c of clients) for (const t of c.subscriptions) by.set(t, [...(by.get(t) ?? []), c.clientId]);
  return [...by].sort(([a], [b]) => a.localeCompare(b)).map(([topic, ids]) => ({ topic, subscribers: ids.length, clients: ids.join(', ') }));
}

/** MagMQTT of one project: its clients on this node, the topics they subscribe to, and the ingest rules. */
export function Mqtt({ project }: { project: string }) {
  const q = `?project=${enc(project)}`;
  const stats = useLoad(() => admin.get<Row>('/mqtt/stats'), []);
  // With MQTT off (the default) the node has no clients to list: ask only when it is on.
  const enabled = stats.value?.enabled === true;
  const clients = useLoad(async (): Promise<MqttClient[]> => (enabled ? admin.get<MqttClient[]>(`/mqtt/clients${q}`) : []), [project, enabled]);
  const rules = useLoad(() => admin.get<Row[]>(`/mqtt/rules${q}`), [project]);
  return (
    <>
      <Section title="MQTT clients">
        <ErrorLine error={clients.error ?? stats.error} />
        {stats.value && <p class="muted">{Object.entries(stats.value).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' · ')}</p>}
        {stats.value && !enabled && <p class="muted">MQTT is off on this node (mqtt.enabled).</p>}
        <Table label="MQTT clients" rows={clients.value?.map((c) => ({ ...c, subscriptions: c.subscriptions.join(', ') }))} actions={(c) => <Action label="Kick" kind="danger" title={`Kick ${String(c.clientId)}`} run={async () => (await admin.post(`/mqtt/clients/${enc(String(c.clientId))}/kick`), clients.reload())} />} empty="No clients connected" />
        <button type="button" onClick={() => (clients.reload(), stats.reload())}>
          Refresh
        </button>
      </Section>
      <Section title="MQTT topics">
        <Table label="Topics with subscribers" rows={clients.value && topicsOf(clients.value)} columns={['topic', 'subscribers', 'clients']} empty="No subscriptions" />
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
