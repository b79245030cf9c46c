import type { ComponentChildren, InputHTMLAttributes, TargetedSubmitEvent } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

/** The API's own words for a failure: `CODE: message`. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export function ErrorLine({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {describe(error)}
    </p>
  );
}

/** Loads once (and again on `reload`), keeping the last good value while it reloads. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { value: T | undefined; error: unknown; reload: () => void } {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (v) => live && (setValue(() => v), setError(undefined)),
      (e: unknown) => live && setError(e),
    );
    return () => void (live = false);
  }, [...deps, tick]);
  return { value, error, reload: useCallback(() => setTick((t) => t + 1), []) };
}

/** Runs `poll` now and every `everyMs` while the component is shown, never two at once. */
export function usePoll(poll: () => Promise<void>, everyMs: number, deps: unknown[] = []): void {
  const latest = useRef(poll);
  latest.current = poll;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      await latest.current().catch(() => undefined);
      if (live) timer = setTimeout(run, everyMs);
    };
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, deps);
}

/**
 * An action button: inert while it runs (aria-disabled, not disabled: a disabled button
 * drops the keyboard's focus to the page's top), its failure shown beside it as the API's message.
 */
export function Action({ label, run, kind, title }: { label: string; run: () => Promise<unknown>; kind?: 'danger'; title?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const click = async () => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await run();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button type="button" class={kind} aria-disabled={busy ? 'true' : undefined} onClick={click} title={title} aria-label={title}>
        {label}
      </button>
      {error !== undefined && <ErrorLine error={error} />}
    </span>
  );
}

/** A form whose submit runs `run` (once at a time; focus stays where it was); errors shown under it, fields kept for a retry. */
export function Form({ label, run, children, submit }: { label: string; run: (data: FormData, form: HTMLFormElement) => Promise<unknown>; children: ComponentChildren; submit: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    const form = e.currentTarget;
    setBusy(true);
    setError(undefined);
    try {
      await run(new FormData(form), form);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline-form" aria-label={label} onSubmit={onSubmit}>
      {children}
      <button type="submit" aria-disabled={busy ? 'true' : undefined}>
        {submit}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

export function Field({ label, name, ...rest }: { label: string; name: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label>
      <span>{label}</span>
      <input name={name} {...rest} />
    </label>
  );
}

export function text(data: FormData, name: string): string {
  const v = data.get(name);
  return typeof v === 'string' ? v.trim() : '';
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A table of objects: the given columns (else every key of the rows), and per-row actions. */
export function Table<T extends object>({ rows, columns, actions, label, empty = 'Nothing yet' }: { rows: T[] | undefined; columns?: string[]; actions?: (row: T) => ComponentChildren; label: string; empty?: string }) {
  if (!rows) return <p class="muted">Loading…</p>;
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <div class="scroll">
      <table aria-label={label}>
        <thead>
          <tr>
            {cols.map((c) => (
              <th scope="col">{c}</th>
            ))}
            {actions && <th scope="col">actions</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr>
              {cols.map((c) => (
                <td>{cell((row as Record<string, unknown>)[c])}</td>
              ))}
              {actions && <td class="actions">{actions(row)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A secret shown once (a new API key): with a copy button, gone when dismissed. */
export function Secret({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  // The keyboard goes where the secret is: Copy, then Done.
  const copy = useRef<HTMLButtonElement>(null);
  useEffect(() => copy.current?.focus(), [value]);
  return (
    <div class="secret" role="status">
      <p>{label} — shown once, copy it now:</p>
      <code data-secret>{value}</code>
      <button type="button" ref={copy} onClick={() => navigator.clipboard.writeText(value).then(() => setCopied(true), () => setCopied(false))}>
        {copied ? 'Copied' : 'Copy'}
      </button>
      <button type="button" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

/** A choice of the project to work on, shared by the pages that act on one. */
export function ProjectPicker({ projects, value, onChange }: { projects: string[]; value: string; onChange: (p: string) => void }) {
  return (
    <label class="picker">
      <span>Project</span>
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">—</option>
        {projects.map((p) => (
          <option value={p}>{p}</option>
        ))}
      </select>
    </label>
  );
}
