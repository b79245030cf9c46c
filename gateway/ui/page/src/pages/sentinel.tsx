import { admin, enc, type Row } from '../api.js';
import { Action, ErrorLine, Field, Form, Section, Table, text, useLoad } from '../ui.js';

interface Status {
  enabled: boolean;
  mode: 'block' | 'monitor';
  blocks: Row[];
  allow: Row[];
  auditEvents: number;
  counts: Record<string, number>;
}
const KINDS = ['ip', 'key', 'user', 'email', 'mqtt'];

/** MagSentinel: its mode, recent security events, blocks (unblock) and the allow list. */
export function SentinelPage() {
  const status = useLoad(() => admin.get<Status>('/sentinel'), []);
  const events = useLoad(() => admin.get<Row[]>('/sentinel/events?limit=100'), []);
  const reload = () => (status.reload(), events.reload());
  const s = status.value;
  return (
    <>
      <ErrorLine error={status.error ?? events.error} />
      <Section title="Mode">
        {s && (
          <p>
            Sentinel is <strong>{s.enabled ? 'on' : 'off'}</strong>, mode <strong data-mode>{s.mode}</strong> · {s.auditEvents} events kept ·{' '}
            {Object.entries(s.counts)
              .map(([k, v]) => `${k} ${v}`)
              .join(' · ')}
          </p>
        )}
        <Action label="Block mode" run={async () => (await admin.post('/sentinel/mode', { mode: 'block' }), reload())} />
        <Action label="Monitor mode" run={async () => (await admin.post('/sentinel/mode', { mode: 'monitor' }), reload())} />
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </Section>
      <Section title="Blocks">
        <Table label="Blocks" rows={s?.blocks} actions={(b) => <Action label="Unblock" title={`Unblock ${String(b.kind)} ${String(b.value)}`} run={async () => (await admin.del(`/sentinel/blocks/${enc(String(b.kind))}/${enc(String(b.value))}`), reload())} />} empty="Nothing blocked" />
        <Form
          label="Block"
          submit="Block"
          run={async (d, form) => {
            const minutes = Number(text(d, 'minutes'));
            await admin.post('/sentinel/blocks', { kind: text(d, 'kind'), value: text(d, 'value'), ...(text(d, 'reason') ? { reason: text(d, 'reason') } : {}), ...(minutes > 0 ? { forMs: minutes * 60_000 } : {}) });
            form.reset();
            reload();
          }}
        >
          <label>
            <span>Kind</span>
            <select name="kind">
              {KINDS.map((k) => (
                <option value={k}>{k}</option>
              ))}
            </select>
          </label>
          <Field label="Value" name="value" required />
          <Field label="Reason" name="reason" />
          <Field label="Minutes (blank: until lifted)" name="minutes" inputMode="numeric" />
        </Form>
      </Section>
      <Section title="Allow list">
        <Table label="Allowed" rows={s?.allow} actions={(a) => (a.note === 'config' ? null : <Action label="Remove" title={`Remove ${String(a.kind)} ${String(a.value)} from the allow list`} run={async () => (await admin.del(`/sentinel/allow/${enc(String(a.kind))}/${enc(String(a.value))}`), reload())} />)} empty="Nothing allowed" />
      </Section>
      <Section title="Recent events">
        <Table label="Security events" rows={events.value} empty="No security events" />
      </Section>
    </>
  );
}
