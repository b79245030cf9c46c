import { useState } from 'preact/hooks';
import { admin, enc, type Row } from '../api.js';
import { Action, ErrorLine, Field, Form, Section, Table, text, useLoad } from '../ui.js';

interface Job {
  id: string;
  kind: string;
  state: 'running' | 'done' | 'failed';
  progress: { step: string; done: number; total: number; rows: number };
  result?: unknown;
  error?: { code: string; message: string };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A job of MagBackup (create, verify, restore) with its progress bar, polled to its end. */
function useJob(onEnd: () => void) {
  const [job, setJob] = useState<Job | undefined>(undefined);
  const follow = async (started: Job) => {
    let j = started;
    setJob(j);
    while (j.state === 'running') {
      await wait(250);
      j = await admin.get<Job>(`/backups/jobs/${enc(j.id)}`);
      setJob(j);
    }
    onEnd();
  };
  return { job, follow };
}

function JobBar({ job }: { job: Job }) {
  const { step, done, total, rows } = job.progress;
  return (
    <div class="job" data-job-state={job.state} role="status">
      <span>
        {job.kind} {job.state}: {step} · {rows} rows
      </span>
      <progress max={Math.max(total, 1)} value={job.state === 'done' ? Math.max(total, 1) : done} aria-label={`${job.kind} progress`} />
      {job.error && <p class="error">{`${job.error.code}: ${job.error.message}`}</p>}
      {job.state === 'done' && job.result !== undefined && <pre class="result">{JSON.stringify(job.result, null, 2)}</pre>}
    </div>
  );
}

function Restore({ id, start }: { id: string; start: (project: string) => Promise<void> }) {
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <button type="button" class="danger" onClick={() => setOpen(true)} aria-label={`Restore ${id}`}>
        Restore
      </button>
    );
  return (
    <Form
      label={`Restore ${id}`}
      submit="Restore now"
      run={async (d) => {
        if (text(d, 'confirm') !== id) throw new Error(`Type the backup id (${id}) to confirm`);
        await start(text(d, 'project'));
        setOpen(false);
      }}
    >
      <Field label={`Type ${id} to confirm`} name="confirm" required autocomplete="off" />
      <Field label="Only project (blank: everything)" name="project" />
    </Form>
  );
}

/** MagBackup: archives (create with progress, verify, restore with a typed confirmation) and the schedule. */
export function BackupsPage() {
  const list = useLoad(() => admin.get<Row[]>('/backups'), []);
  const schedule = useLoad(() => admin.get<Row>('/backups/schedule'), []);
  const { job, follow } = useJob(list.reload);
  const [error, setError] = useState<unknown>(undefined);
  const run = (path: string, body: unknown = {}) => async () => {
    setError(undefined);
    try {
      await follow(await admin.post<Job>(path, body));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <Section title="Archives">
        <ErrorLine error={list.error ?? error} />
        <Action label="Create backup" run={run('/backups', { reason: 'from MagUI' })} />
        {job && <JobBar job={job} />}
        <Table
          label="Backups"
          rows={list.value}
          columns={['id', 'createdAt', 'bytes', 'rows', 'parts', 'encrypted', 'reason', 'problem']}
          actions={(b) => {
            const id = String(b.id);
            return (
              <>
                <Action label="Verify" title={`Verify ${id}`} run={run(`/backups/${enc(id)}/verify`)} />
                <Restore id={id} start={(project) => run(`/backups/${enc(id)}/restore`, { force: true, ...(project ? { project } : {}) })()} />
              </>
            );
          }}
          empty="No backups yet"
        />
      </Section>
      <Section title="Schedule">
        <ErrorLine error={schedule.error} />
        {schedule.value && <pre class="result">{JSON.stringify(schedule.value, null, 2)}</pre>}
        <Form
          label="Set schedule"
          submit="Save schedule"
          run={async (d) => {
            const cron = text(d, 'cron');
            const keep = Number(text(d, 'keep'));
            await admin.post('/backups/schedule', { cron: cron || null, ...(keep > 0 ? { keep } : {}) });
            schedule.reload();
          }}
        >
          <Field label="Cron (blank: off)" name="cron" placeholder="0 3 * * *" />
          <Field label="Keep (archives)" name="keep" inputMode="numeric" />
        </Form>
      </Section>
    </>
  );
}
