import { open, type FileHandle } from 'node:fs/promises';
import { FLAG_MANIFEST, TRAILER_BYTES, corrupt, decodeHeader, decodeTrailer, type ArchiveHeader } from './container.js';
import type { FrameCipher } from './frame-cipher.js';
import { FrameCodec, readExactly, readFrame, type Frame } from './frames.js';
import { manifestSchema, type Manifest, type PartEntry } from './manifest.js';
import { RecordCodec, type FrameRecord, type PartRecord } from './records.js';
import { PartTally } from './tally.js';
import { MoboError } from '../../runtime/index.js';

const HEAD_BYTES = 64 * 1024 + 12;

/** The plain head of an archive: enough to list it without its key. */
export async function readHeader(path: string): Promise<{ header: ArchiveHeader; size: number }> {
  const file = await openArchive(path);
  try {
    const size = (await file.stat()).size;
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    await file.read(head, 0, head.length, 0);
    return { header: decodeHeader(head).header, size };
  } finally {
    await file.close();
  }
}

/**
 * Reads one archive. Opening checks the header, the key, the trailer and the manifest;
 * `verify` then reads every frame and recomputes every part's checksum, size and counts;
 * `records(part)` streams one part, decoded.
 */
export class ArchiveReader {
  private constructor(
    private readonly file: FileHandle,
    readonly header: ArchiveHeader,
    readonly manifest: Manifest,
    private readonly codec: FrameCodec,
    private readonly framesStart: number,
    private readonly manifestOffset: number,
  ) {}

  static async open(path: string, cipher: FrameCipher | undefined): Promise<ArchiveReader> {
    const file = await openArchive(path);
    try {
      const size = (await file.stat()).size;
      const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
      await file.read(head, 0, head.length, 0);
      const { header, end } = decodeHeader(head);
      checkKey(header, cipher);
      const codec = new FrameCodec(header.id, header.encrypted ? cipher : undefined);
      if (size < end + TRAILER_BYTES) throw corrupt('The archive is truncated');
      const manifestOffset = decodeTrailer(await readExactly(file, size - TRAILER_BYTES, TRAILER_BYTES, size), size, end);
      const frame = await readFrame(file, manifestOffset, size - TRAILER_BYTES, 0, codec);
      if (!(frame.flags & FLAG_MANIFEST) || frame.next !== size - TRAILER_BYTES) throw corrupt('The archive manifest is misplaced');
      const manifest = parseManifest(frame.data, header);
      return new ArchiveReader(file, header, manifest, codec, end, manifestOffset);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  part(name: string): PartEntry {
    const part = this.manifest.parts.find((p) => p.name === name);
    if (!part) throw new MoboError('BACKUP_NOT_FOUND', `The backup has no part "${name}"`, { details: { part: name } });
    return part;
  }

  /**
   * Reads every frame; each part's sha256, bytes, records and row counts must match the manifest.
   * With `except`, that part is left out and the frames holding nothing else are not read: a
   * restore checks it as it streams it (`records(except, true)`).
   */
  async verify(onProgress: (totalBytes: number) => void = () => undefined, except?: string): Promise<void> {
    let total = 0;
    const seen = new Map<string, PartTally>();
    for await (const { part, record, line } of this.lines(this.framesStart, 0, undefined, except === undefined ? undefined : this.framesOnlyOf(except))) {
      if (part === except) continue;
      let tally = seen.get(part);
      if (!tally) seen.set(part, (tally = new PartTally()));
      tally.add(record, line);
      total += line.length;
      onProgress(total);
    }
    for (const part of this.manifest.parts) {
      if (part.name === except) continue;
      const tally = seen.get(part.name);
      if (!(tally ? tally.matches(part) : part.records === 0)) throw mismatch(part.name);
      seen.delete(part.name);
    }
    if (seen.size > 0) throw corrupt('The archive holds records of parts its manifest does not list');
  }

  /**
   * One part's records, in order. With `check`, they are tallied on the way and must match the
   * part's manifest entry (checksum, sizes, counts): when they do not, the last record is
   * followed by BACKUP_CORRUPT instead of the end.
   */
  async *records(name: string, check = false): AsyncIterable<PartRecord> {
    const part = this.part(name);
    const tally = check ? new PartTally() : undefined;
    const end = (): void => {
      if (tally && !tally.matches(part)) throw mismatch(name);
    };
    if (part.records === 0) return end();
    let count = 0;
    for await (const line of this.lines(part.start.offset, part.start.index, name)) {
      tally?.add(line.record, line.line);
      yield line.record;
      if (++count === part.records) return end();
    }
    throw corrupt(`Part "${name}" ends early`);
  }

  /**
   * The frames that hold `name`'s records alone: those after its first frame (which may also
   * end the part before) and before the next part's first frame (which may also end this one).
   * Undefined when there are none, or when the manifest's offsets do not run forward.
   */
  private framesOnlyOf(name: string): FrameSkip | undefined {
    const at = this.manifest.parts.findIndex((p) => p.name === name);
    const part = this.manifest.parts[at];
    if (!part) return undefined;
    const next = this.manifest.parts[at + 1];
    const resume = next ? next.start : { offset: this.manifestOffset, index: this.manifest.frames };
    return resume.index > part.start.index + 1 && resume.offset > part.start.offset ? { after: part.start.index, resume } : undefined;
  }

  /**
   * Records from the frame at `offset` on; with `only`, just that part's (contiguous) records;
   * with `skip`, the frames between `skip.after` and `skip.resume` are passed over unread.
   */
  private async *lines(offset: number, index: number, only: string | undefined, skip?: FrameSkip): AsyncIterable<FrameRecord> {
    const codec = new RecordCodec();
    let started = false;
    const read = (at: number, i: number): Promise<Frame> | undefined => {
      if (at >= this.manifestOffset) return undefined;
      const frame = readFrame(this.file, at, this.manifestOffset, i, this.codec);
      frame.catch(() => undefined); // awaited below, unless the reader stops early
      return frame;
    };
    // One frame is read and unpacked ahead while the caller works on the current one.
    let ahead = read(offset, index);
    while (ahead) {
      const frame = await ahead;
      if (frame.flags & FLAG_MANIFEST) throw corrupt('A manifest frame sits among the data frames');
      const jump = skip && skip.after === index && skip.resume.offset > frame.next ? skip.resume : undefined;
      ahead = jump ? read(jump.offset, jump.index) : read(frame.next, index + 1);
      for (const { part, record, line } of codec.records(frame.data)) {
        if (only !== undefined && part !== only) {
          if (started) return;
          continue;
        }
        started = true;
        yield { part, record, line };
      }
      index = jump ? jump.index : index + 1;
    }
    if (only === undefined && index !== this.manifest.frames) throw corrupt('The archive is missing frames');
  }
}

/** Frames a verification passes over: those after frame `after`, up to the one at `resume`. */
interface FrameSkip {
  after: number;
  resume: { offset: number; index: number };
}

function mismatch(part: string): MoboError {
  return new MoboError('BACKUP_CORRUPT', `Part "${part}" does not match its checksum`, { details: { part } });
}

function checkKey(header: ArchiveHeader, cipher: FrameCipher | undefined): void {
  if (!header.encrypted) return;
  if (!cipher) throw new MoboError('BACKUP_KEY_REQUIRED', `Backup ${header.id} is encrypted; configure backup.key (MOBO_BACKUP__KEY) to read it`, { details: { id: header.id } });
  if (cipher.keyCheck() !== header.keyCheck) {
    throw new MoboError('BACKUP_KEY_INVALID', `The configured backup.key is not the key backup ${header.id} was encrypted with`, { details: { id: header.id } });
  }
}

function parseManifest(data: Buffer, header: ArchiveHeader): Manifest {
  try {
    const manifest = manifestSchema.parse(JSON.parse(data.toString('utf8')));
    if (manifest.id !== header.id) throw new Error('manifest id differs from the header');
    return manifest;
  } catch (err) {
    throw corrupt('The archive manifest is damaged', err);
  }
}

async function openArchive(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MoboError('BACKUP_NOT_FOUND', 'No such backup archive', { cause: err });
    throw err;
  }
}
