import type { ArchiveIdentity, ArchiveWriter as Writer, PartWriter } from './archive-writer.js';
import { ArchiveWriter } from './archive-writer.js';
import type { FrameCipher } from './frame-cipher.js';
import type { Manifest, PartEntry } from './manifest.js';
import { withAdapter, type DataTarget } from './targets.js';
import { chunkTable } from '../../adapters/index.js';

export interface Progress {
  /** The part being written (`control`, `<project>/<source>`), or what the job is doing. */
  step: string;
  done: number;
  total: number;
  rows: number;
}

export interface ArchivePlan {
  path: string;
  identity: ArchiveIdentity;
  cipher: FrameCipher | undefined;
  /** The configuration in effect, without keys; absent for a pre-restore safety copy. */
  config?: Record<string, unknown>;
  targets: DataTarget[];
  /** Only these tables of a target (a safety copy before a restore); default every table. */
  tables?: (target: DataTarget) => ReadonlySet<string>;
  now(): Date;
  onProgress(progress: Progress): void;
}

/**
 * Writes one archive: the config, then each target's dump through its adapter (`Adapter.dump`,
 * the MagDS hook), one part per target. Each part records when its reading began; every write
 * acknowledged before then is in it. Any failure removes the unfinished file.
 */
export async function writeArchive(plan: ArchivePlan): Promise<Manifest> {
  const writer = await ArchiveWriter.create(plan.path, plan.identity, plan.cipher);
  const progress: Progress = { step: 'config', done: 0, total: plan.targets.length + (plan.config ? 1 : 0), rows: 0 };
  try {
    if (plan.config) {
      const part = writer.part({ name: 'config', kind: 'config' }, plan.now());
      await part.write({ kind: 'config', config: plan.config });
      part.end();
      progress.done++;
    }
    for (const target of plan.targets) {
      progress.step = target.meta.name;
      plan.onProgress({ ...progress });
      await dumpTarget(writer, target, plan.tables?.(target), plan.now, (rows) => {
        progress.rows += rows;
        plan.onProgress({ ...progress });
      });
      progress.done++;
    }
    progress.step = 'manifest';
    plan.onProgress({ ...progress });
    return await writer.finish(plan.now());
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

async function dumpTarget(writer: Writer, target: DataTarget, only: ReadonlySet<string> | undefined, now: () => Date, onRows: (rows: number) => void): Promise<PartEntry> {
  return withAdapter(target.source, async (adapter) => {
    const part: PartWriter = writer.part(target.meta, now());
    for await (const chunk of adapter.dump()) {
      // Raw keys (Redis) belong to no one table: a safety copy keeps them all.
      const table = chunkTable(chunk);
      if (only && table !== undefined && !only.has(table)) continue;
      await part.write(chunk);
      if (chunk.kind === 'rows') onRows(chunk.rows.length);
    }
    return part.end();
  });
}
