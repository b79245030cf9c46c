import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveReader, readHeader } from './archive-reader.js';
import type { FrameCipher } from './frame-cipher.js';
import { totalRows } from './manifest.js';
import { describeError, MoboError } from '../../runtime/index.js';

const EXT = '.mobo';
const ID = /^[A-Za-z0-9_-]{1,80}$/;

export interface ArchiveSummary {
  id: string;
  file: string;
  bytes: number;
  createdAt: string;
  node: string;
  encrypted: boolean;
  /** From the manifest, when it can be read (unencrypted, or the configured key fits). */
  reason?: string;
  parts?: number;
  rows?: number;
  /** Why the manifest could not be read (damage, or another key). */
  problem?: string;
}

/** The directory of archives: one `<id>.mobo` file per backup. */
export class ArchiveLibrary {
  constructor(readonly dir: string) {}

  newId(now: Date): string {
    return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
  }

  /** The file of a backup id (ids are checked: no path can be smuggled in). */
  path(id: string): string {
    if (!ID.test(id)) throw new MoboError('BACKUP_NOT_FOUND', `"${id}" is not a backup id`, { details: { id } });
    return join(this.dir, id + EXT);
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async ids(): Promise<string[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    return names.filter((n) => n.endsWith(EXT)).map((n) => n.slice(0, -EXT.length)).filter((id) => ID.test(id)).sort();
  }

  async list(cipher: FrameCipher | undefined): Promise<ArchiveSummary[]> {
    const out: ArchiveSummary[] = [];
    for (const id of await this.ids()) out.push(await this.summary(id, cipher));
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  private async summary(id: string, cipher: FrameCipher | undefined): Promise<ArchiveSummary> {
    const file = this.path(id);
    try {
      const { header, size } = await readHeader(file);
      const summary: ArchiveSummary = { id, file, bytes: size, createdAt: header.createdAt, node: header.node, encrypted: header.encrypted };
      try {
        const reader = await ArchiveReader.open(file, cipher);
        await reader.close();
        const { manifest } = reader;
        Object.assign(summary, { reason: manifest.reason, parts: manifest.parts.length, rows: manifest.parts.reduce((n, p) => n + totalRows(p), 0) });
      } catch (err) {
        summary.problem = describeError(err);
      }
      return summary;
    } catch (err) {
      return { id, file, bytes: 0, createdAt: '', node: '', encrypted: false, problem: describeError(err) };
    }
  }
}
