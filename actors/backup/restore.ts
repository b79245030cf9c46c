import { createAdapter } from '../../adapters/index.js';
import type { Adapter } from '../../adapters/types.js';
import { MoboError, describeError, toMoboError } from '../../runtime/errors.js';
import type { ArchiveReader } from './archive-reader.js';
import type { Progress } from './create.js';
import { dumpChunks } from './records.js';
import type { DataTarget } from './targets.js';

export interface RestorePlan {
  /** An archive already verified end to end: nothing is written before that. */
  reader: ArchiveReader;
  targets: DataTarget[];
  force: boolean;
  /** Copies the tables about to be replaced into a safety archive, and opens it. */
  safetyCopy(targets: DataTarget[], tables: (target: DataTarget) => ReadonlySet<string>): Promise<ArchiveReader>;
  onProgress(progress: Progress): void;
}

export interface RestoredPart {
  name: string;
  tables: string[];
  rows: number;
  replaced: string[];
}

export interface RestoreResult {
  parts: RestoredPart[];
  /** The archive holding what was replaced (kept, so an operator can undo the restore). */
  safetyBackup?: string;
}

interface Step {
  target: DataTarget;
  adapter: Adapter;
  tables: string[];
  existing: string[];
  /** Set before the first write to this target: only touched targets are rolled back. */
  touched: boolean;
}

/**
 * Puts parts of an archive back. Every target is connected and inspected first; tables that
 * hold rows are only replaced with `force`. What will be replaced is first copied into a
 * safety archive; if any step fails, every target touched so far gets its tables dropped and
 * the safety copy restored, so a failed restore leaves the previous data in place. (Restoring
 * into side tables and swapping would need a rename on every backend, which MagDS does not have.)
 */
export async function restoreArchive(plan: RestorePlan): Promise<RestoreResult> {
  const steps: Step[] = [];
  try {
    for (const target of plan.targets) {
      const adapter = createAdapter(target.source);
      steps.push({ target, adapter, tables: [], existing: [], touched: false });
      await adapter.connect();
    }
    await inspect(plan, steps);
    const replacing = steps.filter((s) => s.existing.length > 0);
    const safety = replacing.length > 0 ? await plan.safetyCopy(replacing.map((s) => s.target), (t) => new Set(steps.find((s) => s.target === t)!.existing)) : undefined;
    try {
      return { parts: await apply(plan, steps), ...(safety ? { safetyBackup: safety.manifest.id } : {}) };
    } catch (err) {
      throw await rollBack(steps, safety, err);
    } finally {
      await safety?.close();
    }
  } finally {
    for (const s of steps) await s.adapter.close().catch(() => undefined);
  }
}

async function inspect(plan: RestorePlan, steps: Step[]): Promise<void> {
  const occupied: string[] = [];
  for (const step of steps) {
    step.tables = Object.keys(plan.reader.part(step.target.meta.name).rows);
    const present = new Set((await step.adapter.introspect(true)).tables.map((t) => t.name));
    step.existing = step.tables.filter((t) => present.has(t));
    for (const table of step.existing) if ((await step.adapter.count({ table })) > 0) occupied.push(`${step.target.meta.name}:${table}`);
  }
  if (occupied.length > 0 && !plan.force) {
    throw new MoboError('BACKUP_TARGET_NOT_EMPTY', `The restore would replace tables that hold data (${occupied.slice(0, 5).join(', ')}${occupied.length > 5 ? ' …' : ''}); use --force`, {
      details: { tables: occupied },
    });
  }
}

async function apply(plan: RestorePlan, steps: Step[]): Promise<RestoredPart[]> {
  const progress: Progress = { step: '', done: 0, total: steps.length, rows: 0 };
  const parts: RestoredPart[] = [];
  for (const step of steps) {
    progress.step = step.target.meta.name;
    plan.onProgress({ ...progress });
    step.touched = true;
    for (const table of step.existing) await step.adapter.dropTable(table);
    const before = progress.rows;
    await step.adapter.restore(dumpChunks(plan.reader.records(step.target.meta.name), (rows) => {
      progress.rows += rows;
      plan.onProgress({ ...progress });
    }));
    parts.push({ name: step.target.meta.name, tables: step.tables, rows: progress.rows - before, replaced: step.existing });
    progress.done++;
  }
  return parts;
}

/** Puts back what the failed restore replaced; answers the error to report. */
async function rollBack(steps: Step[], safety: ArchiveReader | undefined, cause: unknown): Promise<MoboError> {
  const failures: string[] = [];
  for (const step of steps.filter((s) => s.touched)) {
    try {
      const present = new Set((await step.adapter.introspect(true)).tables.map((t) => t.name));
      for (const table of step.tables) if (present.has(table)) await step.adapter.dropTable(table);
      if (step.existing.length > 0 && safety) await step.adapter.restore(dumpChunks(safety.records(step.target.meta.name)));
    } catch (err) {
      failures.push(`${step.target.meta.name}: ${describeError(err)}`);
    }
  }
  const reason = toMoboError(cause);
  const details = { cause: reason.toBody(), rolledBack: failures.length === 0, ...(safety ? { safetyBackup: safety.manifest.id } : {}), ...(failures.length ? { rollbackFailures: failures } : {}) };
  return new MoboError(
    'BACKUP_RESTORE_FAILED',
    failures.length === 0
      ? `The restore failed (${reason.message}); the previous data was put back`
      : `The restore failed (${reason.message}) and the previous data could not all be put back; it is in backup ${safety?.manifest.id ?? '(none)'}`,
    { details, cause },
  );
}
