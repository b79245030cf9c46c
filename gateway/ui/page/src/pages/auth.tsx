import { useState } from 'preact/hooks';
import { admin, enc, paths, type Row } from '../api.js';
import { Action, ErrorLine, Field, Form, Secret, Section, Table, text, useLoad } from '../ui.js';
import { useProject } from './project-choice.js';

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function Keys({ project }: { project: string }) {
  const base = paths.project(project);
  const keys = useLoad(() => admin.get<Row[]>(`${base}/keys`), [project]);
  const [secret, setSecret] = useState<{ label: string; value: string } | undefined>(undefined);
  return (
    <Section title="API keys">
      {secret && <Secret label={secret.label} value={secret.value} onDone={() => setSecret(undefined)} />}
      <ErrorLine error={keys.error} />
      <Table
        label="API keys"
        rows={keys.value}
        columns={['id', 'name', 'prefix', 'role', 'created_at', 'revoked_at']}
        actions={(k) => (
          <>
            <Action
              label="Rotate"
              title={`Rotate key ${String(k.id)}`}
              run={async () => {
                const rotated = await admin.post<{ key: string; id: string }>(`${base}/keys/${enc(String(k.id))}/rotate`);
                setSecret({ label: `New secret of key ${rotated.id}`, value: rotated.key });
                keys.reload();
              }}
            />
            <Action label="Revoke" kind="danger" title={`Revoke key ${String(k.id)}`} run={async () => (await admin.del(`${base}/keys/${enc(String(k.id))}`), keys.reload())} />
          </>
        )}
      />
      <Form
        label="Create key"
        submit="Create key"
        run={async (d, form) => {
          const scopes: Record<string, string[]> = {};
          if (text(d, 'tables')) scopes.tables = list(text(d, 'tables'));
          if (text(d, 'ops')) scopes.operations = list(text(d, 'ops'));
          const created = await admin.post<{ key: string; id: string }>(`${base}/keys`, { role: text(d, 'role') || 'viewer', ...(text(d, 'name') ? { name: text(d, 'name') } : {}), scopes });
          form.reset();
          setSecret({ label: `Key ${created.id}`, value: created.key });
          keys.reload();
        }}
      >
        <Field label="Name" name="name" />
        <Field label="Role" name="role" placeholder="viewer" />
        <Field label="Tables (comma-separated)" name="tables" />
        <Field label="Operations (read,create,update,delete)" name="ops" />
      </Form>
    </Section>
  );
}

function ClientKeys({ project }: { project: string }) {
  const keys = useLoad(() => admin.get<Row>(`${paths.project(project)}/client-keys`), [project]);
  const realtime = useLoad(() => admin.get<Row>(`${paths.project(project)}/realtime`), [project]);
  const [reveal, setReveal] = useState(false);
  const hide = (v: unknown) => (reveal ? String(v) : '•'.repeat(12));
  return (
    <Section title="Public and realtime keys">
      <ErrorLine error={keys.error ?? realtime.error} />
      {keys.value && (
        <dl class="facts">
          <dt>public key (anon)</dt>
          <dd>
            <code>{String(keys.value.publicKey)}</code>
          </dd>
          <dt>service key (admin)</dt>
          <dd>
            <code>{hide(keys.value.serviceKey)}</code>
          </dd>
          {realtime.value && (
            <>
              <dt>realtime app</dt>
              <dd>
                <code>{String(realtime.value.appId)}</code> key <code>{String(realtime.value.key)}</code>
              </dd>
              <dt>realtime secret</dt>
              <dd>
                <code>{hide(realtime.value.secret)}</code>
              </dd>
            </>
          )}
        </dl>
      )}
      <button type="button" onClick={() => setReveal(!reveal)}>
        {reveal ? 'Hide secrets' : 'Show secrets'}
      </button>
    </Section>
  );
}

function Users({ project }: { project: string }) {
  const base = paths.project(project);
  const users = useLoad(() => admin.get<Row[]>(`${base}/users`), [project]);
  return (
    <Section title="Users">
      <ErrorLine error={users.error} />
      <Table
        label="Users"
        rows={users.value}
        columns={['id', 'email', 'role', 'disabled', 'created_at']}
        actions={(u) => {
          const id = enc(String(u.id));
          return (
            <>
              {u.disabled ? (
                <Action label="Enable" title={`Enable ${String(u.email)}`} run={async () => (await admin.post(`${base}/users/${id}/enable`), users.reload())} />
              ) : (
                <Action label="Disable" kind="danger" title={`Disable ${String(u.email)}`} run={async () => (await admin.post(`${base}/users/${id}/disable`), users.reload())} />
              )}
              <Form label={`Role of ${String(u.email)}`} submit="Set role" run={async (d) => (await admin.post(`${base}/users/${id}/role`, { role: text(d, 'role') }), users.reload())}>
                <Field label="Role" name="role" required />
              </Form>
            </>
          );
        }}
      />
      <Form
        label="Create user"
        submit="Create user"
        run={async (d, form) => {
          await admin.post(`${base}/users`, { email: text(d, 'email'), password: String(d.get('password') ?? ''), ...(text(d, 'role') ? { role: text(d, 'role') } : {}) });
          form.reset();
          users.reload();
        }}
      >
        <Field label="Email" name="email" type="email" required />
        <Field label="Password" name="password" type="password" autocomplete="new-password" required />
        <Field label="Role" name="role" placeholder="authenticated" />
      </Form>
    </Section>
  );
}

function Roles({ project }: { project: string }) {
  const base = paths.project(project);
  const roles = useLoad(() => admin.get<Row[]>(`${base}/roles`), [project]);
  return (
    <Section title="Roles">
      <ErrorLine error={roles.error} />
      <Table label="Roles" rows={roles.value} actions={(r) => (r.builtIn ? null : <Action label="Delete" kind="danger" title={`Delete role ${String(r.name)}`} run={async () => (await admin.del(`${base}/roles/${enc(String(r.name))}`), roles.reload())} />)} />
      <Form
        label="Create role"
        submit="Create role"
        run={async (d, form) => {
          await admin.post(`${base}/roles`, { name: text(d, 'name'), grants: [{ tables: list(text(d, 'tables')), operations: list(text(d, 'ops')) }] });
          form.reset();
          roles.reload();
        }}
      >
        <Field label="Role name" name="name" required />
        <Field label="Tables" name="tables" placeholder="orders,items or *" required />
        <Field label="Operations" name="ops" placeholder="read,create" required />
      </Form>
    </Section>
  );
}

function Policies({ project }: { project: string }) {
  const base = paths.project(project);
  const policies = useLoad(() => admin.get<Row[]>(`${base}/policies`), [project]);
  return (
    <Section title="Policies">
      <ErrorLine error={policies.error} />
      <Table
        label="Policies"
        rows={policies.value}
        actions={(p) => <Action label="Remove" kind="danger" title={`Remove policy ${String(p.role)} on ${String(p.table)}`} run={async () => (await admin.del(`${base}/policies/${enc(String(p.role))}/${enc(String(p.table))}`), policies.reload())} />}
      />
      <Form
        label="Set policy"
        submit="Set policy"
        run={async (d, form) => {
          await admin.post(`${base}/policies`, { role: text(d, 'role'), table: text(d, 'table'), operations: list(text(d, 'ops')), ...(text(d, 'owner') ? { ownerColumn: text(d, 'owner') } : {}) });
          form.reset();
          policies.reload();
        }}
      >
        <Field label="Role" name="role" placeholder="anon" required />
        <Field label="Table" name="table" required />
        <Field label="Operations" name="ops" placeholder="read" required />
        <Field label="Owner column (row rule)" name="owner" />
      </Form>
    </Section>
  );
}

/** MagAuth of one project: keys (shown once), client keys, users, roles, policies. */
export function AuthPage() {
  const { project, picker } = useProject();
  return (
    <>
      {picker}
      {project ? (
        <div key={project}>
          <Keys project={project} />
          <ClientKeys project={project} />
          <Users project={project} />
          <Roles project={project} />
          <Policies project={project} />
        </div>
      ) : (
        <p class="muted">Choose a project.</p>
      )}
    </>
  );
}
