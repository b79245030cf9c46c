import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { FLAG_MANIFEST, FORMAT, FRAME_TARGET_BYTES, encodeHeader, encodeTrailer, type ArchiveFormat } from './container.js';
import type { FrameCipher } from './frame-cipher.js';
import { FrameCodec, FrameWriter } from './frames.js';
import type { Manifest, PartEntry } from './manifest.js';
import { RecordCodec, type PartRecord } from './records.js';
import { PartTally } from './tally.js';
import { MoboError } from '../../runtime/index.js';

export interface ArchiveIdentity {
  id: string;
  node: string;
  moboVersion: string;
  createdAt: string;
  reason: string;
}

export type PartMeta = Omit<PartEntry, 'sha256' | 'bytes' | 'records' | 'rows' | 'snapshotAt' | 'start'>;

/**
 * Writes one archive, streaming: records are packed into ~1 MiB frames as they come, each
 * part's checksum is computed on the way, and the manifest goes last. The file is written
 * under a `.partial` name and renamed only once complete and synced, so a crash or a failed
 * backup never leaves something that looks like an archive.
 */
export class ArchiveWriter {
  private readonly parts: PartEntry[] = [];
  private readonly records: RecordCodec;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private open: PartWriter | undefined;
  /** The frame being packed and written while the next one fills (one in flight, in order). */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: FileHandle,
    private readonly path: string,
    private readonly frames: FrameWriter,
    private readonly identity: ArchiveIdentity,
    private readonly encrypted: boolean,
    private readonly format: ArchiveFormat,
  ) {
    this.records = new RecordCodec(format);
  }

  /** `format`: FORMAT; an older one only to prove that readers still take it (tests). */
  static async create(path: string, identity: ArchiveIdentity, cipher?: FrameCipher, format: ArchiveFormat = FORMAT): Promise<ArchiveWriter> {
    const file = await open(partialPath(path), 'wx', 0o600);
    const header = encodeHeader({
      format,
      id: identity.id,
      createdAt: identity.createdAt,
      node: identity.node,
      moboVersion: identity.moboVersion,
      encrypted: cipher !== undefined,
      ...(cipher ? { keyCheck: cipher.keyCheck() } : {}),
    });
    await file.write(header, 0, header.length, 0);
    return new ArchiveWriter(file, path, new FrameWriter(file, header.length, new FrameCodec(identity.id, cipher)), identity, cipher !== undefined, format);
  }

  /** Starts the next part; the previous one must have ended. */
  part(meta: PartMeta, snapshotAt: Date): PartWriter {
    if (this.open) throw new MoboError('INTERNAL', `Part ${this.open.meta.name} is still open`);
    // Pending records are not yet framed: this part's first record lands in the next frame written.
    const start = { offset: this.frames.offset, index: this.frames.frames };
    this.open = new PartWriter(meta, snapshotAt, start, (record) => this.append(meta.name, record), (entry) => {
      this.parts.push(entry);
      this.open = undefined;
    });
    return this.open;
  }

  async finish(finishedAt: Date): Promise<Manifest> {
    if (this.open) throw new MoboError('INTERNAL', `Part ${this.open.meta.name} is still open`);
    await this.flush();
    await this.writing;
    const manifest: Manifest = { format: this.format, ...this.identity, finishedAt: finishedAt.toISOString(), encrypted: this.encrypted, frames: this.frames.frames, parts: this.parts };
    const manifestOffset = this.frames.offset;
    await this.frames.write(Buffer.from(JSON.stringify(manifest)), FLAG_MANIFEST);
    const trailer = encodeTrailer(manifestOffset);
    await this.file.write(trailer, 0, trailer.length, this.frames.offset);
    await this.file.sync();
    await this.file.close();
    await rename(partialPath(this.path), this.path);
    return manifest;
  }

  async abort(): Promise<void> {
    await this.writing.catch(() => undefined);
    await this.file.close().catch(() => undefined);
    await rm(partialPath(this.path), { force: true });
  }

  private async append(part: string, record: PartRecord): Promise<Buffer> {
    const line = this.records.encode(part, record);
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FRAME_TARGET_BYTES) await this.flush();
    return line;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await this.writing;
    this.writing = this.frames.write(data);
  }
}

/** One part being written: counts, sizes and hashes what goes into it. */
export class PartWriter {
  private readonly tally = new PartTally();

  constructor(
    readonly meta: PartMeta,
    private readonly snapshotAt: Date,
    private readonly start: PartEntry['start'],
    private readonly sink: (record: PartRecord) => Promise<Buffer>,
    private readonly done: (entry: PartEntry) => void,
  ) {}

  async write(record: PartRecord): Promise<void> {
    this.tally.add(record, await this.sink(record));
  }

  end(): PartEntry {
    const entry: PartEntry = { ...this.meta, snapshotAt: this.snapshotAt.toISOString(), start: this.start, ...this.tally.result() };
    this.done(entry);
    return entry;
  }
}

export function partialPath(path: string): string {
  return `${path}.partial`;
}
