import { useState } from 'preact/hooks';
import { admin, enc, paths, rows as restRows, type Row } from '../api.js';
import { Action, ErrorLine, Field, Form, Section, Table, text, useLoad } from '../ui.js';

interface Project {
  project: string;
  created_at: string;
  sources: number;
}
interface Source {
  name: string;
  kind: string;
  location: string;
}
interface Column {
  name: string;
  type: string;
  nativeType: string;
  nullable: boolean;
  hasDefault: boolean;
}
interface TableInfo {
  name: string;
  columns: Column[];
  primaryKey: string[];
}

const KINDS = ['sqlite', 'postgres', 'mysql', 'redis', 'mongodb'];
const TYPES = ['text', 'integer', 'float', 'boolean', 'timestamp', 'json', 'bytes', 'uuid'];
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'is'];
const PAGE = 20;

/** A typed value from a form field, by the column's portable type; blank is left out. */
function typed(column: Column, raw: string): unknown {
  if (raw === '') return undefined;
  switch (column.type) {
    case 'integer':
    case 'float':
      return Number(raw);
    case 'boolean':
      return raw === 'true' || raw === '1';
    case 'json':
      return JSON.parse(raw) as unknown;
    default:
      return raw;
  }
}
const shown = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function rowFrom(data: FormData, columns: Column[], prefix: string): Row {
  const row: Row = {};
  for (const c of columns) {
    const value = typed(c, text(data, `${prefix}${c.name}`));
    if (value !== undefined) row[c.name] = value;
  }
  return row;
}

function Rows({ project, source, table }: { project: string; source: string; table: TableInfo }) {
  const api = restRows(project, source, table.name);
  const [offset, setOffset] = useState(0);
  const [order, setOrder] = useState<{ column: string; desc: boolean } | undefined>(undefined);
  const [filter, setFilter] = useState<{ column: string; op: string; value: string } | undefined>(undefined);
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const pk = table.primaryKey[0];
  const list = useLoad(() => api.list({ limit: PAGE, offset, ...(order ? { order } : {}), ...(filter ? { filter } : {}) }), [project, source, table.name, offset, order?.column, order?.desc, filter?.column, filter?.op, filter?.value]);
  const sortBy = (column: string) => setOrder((o) => (o?.column === column ? { column, desc: !o.desc } : { column, desc: false }));
  const count = list.value?.count;
  return (
    <>
      <Form
        label="Filter rows"
        submit="Filter"
        run={async (d) => {
          setOffset(0);
          setFilter(text(d, 'column') ? { column: text(d, 'column'), op: text(d, 'op'), value: text(d, 'value') } : undefined);
        }}
      >
        <label>
          <span>Column</span>
          <select name="column">
            <option value="">(none)</option>
            {table.columns.map((c) => (
              <option value={c.name}>{c.name}</option>
            ))}
          </select>
        </label>
        <label>
          <span>Operator</span>
          <select name="op">
            {OPS.map((o) => (
              <option value={o}>{o}</option>
            ))}
          </select>
        </label>
        <Field label="Value" name="value" />
      </Form>
      <ErrorLine error={list.error} />
      <div class="scroll">
        <table aria-label={`Rows of ${table.name}`} id="rows">
          <thead>
            <tr>
              {table.columns.map((c) => (
                <th scope="col" aria-sort={order?.column === c.name ? (order.desc ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" class="link" onClick={() => sortBy(c.name)}>
                    {c.name} {order?.column === c.name ? (order.desc ? '↓' : '↑') : ''}
                  </button>
                </th>
              ))}
              <th scope="col">actions</th>
            </tr>
          </thead>
          <tbody>
            {(list.value?.rows ?? []).map((row) => {
              const id = pk === undefined ? undefined : shown(row[pk]);
              if (id !== undefined && editing === id)
                return (
                  <tr data-row={id}>
                    <td colSpan={table.columns.length + 1}>
                      <Form
                        label={`Edit row ${id}`}
                        submit="Save"
                        run={async (d) => {
                          const patch = rowFrom(d, table.columns.filter((c) => c.name !== pk), 'edit-');
                          await api.update(id, patch);
                          setEditing(undefined);
                          list.reload();
                        }}
                      >
                        {table.columns
                          .filter((c) => c.name !== pk)
                          .map((c) => (
                            <Field label={c.name} name={`edit-${c.name}`} defaultValue={shown(row[c.name])} />
                          ))}
                        <button type="button" onClick={() => setEditing(undefined)}>
                          Cancel
                        </button>
                      </Form>
                    </td>
                  </tr>
                );
              return (
                <tr data-row={id}>
                  {table.columns.map((c) => (
                    <td>{shown(row[c.name])}</td>
                  ))}
                  <td class="actions">
                    {id !== undefined && (
                      <>
                        <button type="button" onClick={() => setEditing(id)} aria-label={`Edit row ${id}`}>
                          Edit
                        </button>
                        <Action label="Delete" kind="danger" title={`Delete row ${id}`} run={async () => (await api.remove(id), list.reload())} />
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p class="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Previous
        </button>
        <span>
          rows {count === 0 ? 0 : offset + 1}–{offset + (list.value?.rows.length ?? 0)}
          {count !== undefined ? ` of ${count}` : ''}
        </span>
        <button type="button" disabled={count !== undefined && offset + PAGE >= count} onClick={() => setOffset(offset + PAGE)}>
          Next
        </button>
      </p>
      <h3>Insert a row</h3>
      <Form
        label={`Insert into ${table.name}`}
        submit="Insert"
        run={async (d, form) => {
          await api.insert(rowFrom(d, table.columns, 'new-'));
          form.reset();
          list.reload();
        }}
      >
        {table.columns.map((c) => (
          <Field label={`${c.name} (${c.type})`} name={`new-${c.name}`} placeholder={c.hasDefault || c.nullable ? 'optional' : ''} />
        ))}
      </Form>
    </>
  );
}

/** A new table through the schema API: a name and its columns, one per line (`name type [not null] [primary key]`). */
function CreateTable({ project, source, done }: { project: string; source: string; done: (name: string) => void }) {
  const [columns, setColumns] = useState([0]);
  return (
    <Form
      label="Create table"
      submit="Create table"
      run={async (d, form) => {
        const name = text(d, 'table');
        const cols = columns.map((i) => ({
          name: text(d, `col-${i}-name`),
          type: text(d, `col-${i}-type`),
          nullable: d.get(`col-${i}-notnull`) !== 'on',
          primaryKey: d.get(`col-${i}-pk`) === 'on',
          ...(d.get(`col-${i}-pk`) === 'on' && text(d, `col-${i}-type`) === 'integer' ? { identity: true } : {}),
        }));
        await admin.post(`${paths.source(project, source)}/tables`, { name, columns: cols });
        form.reset();
        setColumns([0]);
        done(name);
      }}
    >
      <Field label="Table name" name="table" required />
      {columns.map((i) => (
        <fieldset data-column={i}>
          <legend>Column {i + 1}</legend>
          <Field label="Name" name={`col-${i}-name`} required />
          <label>
            <span>Type</span>
            <select name={`col-${i}-type`}>
              {TYPES.map((t) => (
                <option value={t}>{t}</option>
              ))}
            </select>
          </label>
          <label class="check">
            <input type="checkbox" name={`col-${i}-notnull`} /> not null
          </label>
          <label class="check">
            <input type="checkbox" name={`col-${i}-pk`} /> primary key
          </label>
        </fieldset>
      ))}
      <button type="button" onClick={() => setColumns((c) => [...c, c.length])}>
        Add column
      </button>
    </Form>
  );
}

function AddColumn({ project, source, table, done }: { project: string; source: string; table: string; done: () => void }) {
  return (
    <Form
      label="Add column"
      submit="Add column"
      run={async (d, form) => {
        await admin.post(`${paths.table(project, source, table)}/columns`, { name: text(d, 'name'), type: text(d, 'type'), nullable: d.get('notnull') !== 'on' });
        form.reset();
        done();
      }}
    >
      <Field label="Column name" name="name" required />
      <label>
        <span>Type</span>
        <select name="type">
          {TYPES.map((t) => (
            <option value={t}>{t}</option>
          ))}
        </select>
      </label>
      <label class="check">
        <input type="checkbox" name="notnull" /> not null
      </label>
    </Form>
  );
}

function Migrations({ project, source }: { project: string; source: string }) {
  const list = useLoad(() => admin.get<{ migrations: Row[] }>(`${paths.source(project, source)}/migrations`), [project, source]);
  return (
    <>
      <ErrorLine error={list.error} />
      {!list.error && <Table label="Migrations" rows={list.value?.migrations} columns={['id', 'status', 'appliedAt', 'checksum']} empty="No migrations" />}
      <Action label="Apply pending" run={async () => (await admin.post(`${paths.source(project, source)}/migrations/up`, {}), list.reload())} />
    </>
  );
}

function SourceView({ project, source }: { project: string; source: string }) {
  const tables = useLoad(() => admin.get<TableInfo[]>(`${paths.source(project, source)}/tables`), [project, source]);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const table = tables.value?.find((t) => t.name === open);
  return (
    <>
      <Section title={`Tables of ${source}`}>
        <ErrorLine error={tables.error} />
        <ul class="list" aria-label="Tables">
          {(tables.value ?? []).map((t) => (
            <li>
              <button type="button" class="link" aria-current={t.name === open ? 'true' : undefined} onClick={() => setOpen(t.name)}>
                {t.name}
              </button>{' '}
              <span class="muted">{t.columns.length} columns</span>
            </li>
          ))}
        </ul>
        <h3>New table</h3>
        <CreateTable
          project={project}
          source={source}
          done={(name) => {
            tables.reload();
            setOpen(name);
          }}
        />
      </Section>
      {table && (
        <Section title={`Table ${table.name}`}>
          <p class="muted">
            {table.columns.map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' not null'}`).join(' · ')}
            {table.primaryKey.length > 0 ? ` · primary key ${table.primaryKey.join(', ')}` : ''}
          </p>
          <AddColumn project={project} source={source} table={table.name} done={tables.reload} />
          <Rows key={`${table.name}:${table.columns.length}`} project={project} source={source} table={table} />
        </Section>
      )}
      <Section title="Migrations">
        <Migrations project={project} source={source} />
      </Section>
    </>
  );
}

function ProjectView({ project }: { project: string }) {
  const sources = useLoad(() => admin.get<Source[]>(`${paths.project(project)}/sources`), [project]);
  const [open, setOpen] = useState<string | undefined>(undefined);
  return (
    <>
      <Section title={`Sources of ${project}`}>
        <ErrorLine error={sources.error} />
        <Table
          label="Sources"
          rows={sources.value}
          columns={['name', 'kind', 'location']}
          actions={(s) => (
            <>
              <button type="button" onClick={() => setOpen(s.name)} aria-label={`Open source ${s.name}`}>
                Open
              </button>
              <Action label="Test" title={`Test source ${s.name}`} run={() => admin.post(`${paths.source(project, s.name)}/test`)} />
              <Action label="Remove" kind="danger" title={`Remove source ${s.name}`} run={async () => (await admin.del(paths.source(project, s.name)), sources.reload())} />
            </>
          )}
        />
        <Form
          label="Add source"
          submit="Add source"
          run={async (d, form) => {
            await admin.post(`${paths.project(project)}/sources`, { name: text(d, 'name'), kind: text(d, 'kind'), url: text(d, 'url') });
            form.reset();
            sources.reload();
            setOpen(text(d, 'name'));
          }}
        >
          <Field label="Source name" name="name" required />
          <label>
            <span>Kind</span>
            <select name="kind">
              {KINDS.map((k) => (
                <option value={k}>{k}</option>
              ))}
            </select>
          </label>
          <Field label="URL or file" name="url" required placeholder="postgres://… or /path/to/file.db" />
        </Form>
      </Section>
      {open && <SourceView key={open} project={project} source={open} />}
    </>
  );
}

/** Projects → sources → tables → rows, through the admin API (shape) and MagGate REST (rows). */
export function DataPage() {
  const projects = useLoad(() => admin.get<Project[]>('/projects'), []);
  const [open, setOpen] = useState<string | undefined>(undefined);
  return (
    <>
      <Section title="Projects">
        <ErrorLine error={projects.error} />
        <Table
          label="Projects"
          rows={projects.value}
          columns={['project', 'sources', 'created_at']}
          actions={(p) => (
            <button type="button" onClick={() => setOpen(p.project)} aria-label={`Open project ${p.project}`}>
              Open
            </button>
          )}
        />
        <Form
          label="Create project"
          submit="Create project"
          run={async (d, form) => {
            await admin.post('/projects', { name: text(d, 'name') });
            form.reset();
            projects.reload();
            setOpen(text(d, 'name'));
          }}
        >
          <Field label="Project name" name="name" required />
        </Form>
      </Section>
      {open && <ProjectView key={open} project={open} />}
    </>
  );
}

