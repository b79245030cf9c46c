/**
 * A source's migration files: `<dir>/<project>/<source>/<timestamp>_<name>.sql`, each holding a
 * `-- migrate:up` and a `-- migrate:down` section (docs/schema-api.md says why SQL). The checksum
 * is the sha256 of the whole file, so editing either section of an applied migration is seen.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppliedMigration } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

export interface MigrationFile {
  id: string;
  file: string;
  checksum: string;
  up: string;
  down: string | undefined;
}

export interface MigrationStatus {
  id: string;
  status: 'applied' | 'pending' | 'changed' | 'missing';
  checksum: string;
  appliedAt?: string;
}

const FILE = /^(\d{14})_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;
const MARK = /^--\s*migrate:(up|down)\s*$/im;

export function folderOf(dir: string, project: string, source: string): string {
  return join(dir, project, source);
}

export async function readMigrations(folder: string): Promise<MigrationFile[]> {
  const names = await readdir(folder).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const files: MigrationFile[] = [];
  for (const name of names.filter((n) => FILE.test(n)).sort()) {
    const text = await readFile(join(folder, name), 'utf8');
    files.push({ id: name.slice(0, -4), file: join(folder, name), checksum: createHash('sha256').update(text).digest('hex'), ...sections(text, name) });
  }
  return files;
}

/** The up and down sections; text before the first marker belongs to neither. */
export function sections(text: string, name: string): { up: string; down: string | undefined } {
  const parts = text.split(/^(--\s*migrate:(?:up|down)\s*)$/im);
  let up: string | undefined;
  let down: string | undefined;
  for (let i = 1; i < parts.length; i += 2) {
    const which = MARK.exec(parts[i]!)![1]!.toLowerCase();
    if (which === 'up') up = (up ?? '') + parts[i + 1];
    else down = (down ?? '') + parts[i + 1];
  }
  if (up === undefined) throw new MoboError('SCHEMA_MIGRATION_MISSING', `Migration ${name} has no "-- migrate:up" section`, { details: { migration: name } });
  return { up, down: down !== undefined && down.trim() ? down : undefined };
}

export async function newMigration(folder: string, name: string, up = '', down = '', now = new Date()): Promise<{ id: string; file: string }> {
  await mkdir(folder, { recursive: true });
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const taken = new Set((await readMigrations(folder)).map((m) => m.id.slice(0, 14)));
  let n = Number(stamp);
  while (taken.has(String(n))) n++; // two made in one second keep their order
  const id = `${n}_${name}`;
  const file = join(folder, `${id}.sql`);
  await writeFile(file, `-- migrate:up\n${up}${up.endsWith('\n') || !up ? '' : '\n'}\n-- migrate:down\n${down}${down.endsWith('\n') || !down ? '' : '\n'}`, { flag: 'wx' });
  return { id, file };
}

export function statusOf(files: MigrationFile[], applied: AppliedMigration[]): MigrationStatus[] {
  const done = new Map(applied.map((a) => [a.id, a]));
  const rows: MigrationStatus[] = files.map((f) => {
    const a = done.get(f.id);
    if (!a) return { id: f.id, status: 'pending', checksum: f.checksum };
    return { id: f.id, status: a.checksum === f.checksum ? 'applied' : 'changed', checksum: f.checksum, appliedAt: a.appliedAt };
  });
  const known = new Set(files.map((f) => f.id));
  for (const a of applied) if (!known.has(a.id)) rows.push({ id: a.id, status: 'missing', checksum: a.checksum, appliedAt: a.appliedAt });
  return rows.sort((x, y) => x.id.localeCompare(y.id));
}

/** Refuses a run while an applied migration's file differs from what was applied, naming it. */
export function assertUnchanged(status: MigrationStatus[]): void {
  const changed = status.find((s) => s.status === 'changed');
  if (changed) {
    throw new MoboError('SCHEMA_MIGRATION_CHANGED', `Migration ${changed.id} was applied and its file has been edited since; restore the file or add a new migration`, {
      details: { migration: changed.id },
    });
  }
}
