import { open, type FileHandle } from 'node:fs/promises';
import { MoboError } from '../../runtime/errors.js';
import { FLAG_MANIFEST, TRAILER_BYTES, corrupt, decodeHeader, decodeTrailer, type ArchiveHeader } from './container.js';
import type { FrameCipher } from './frame-cipher.js';
import { FrameCodec, readExactly, readFrame, type Frame } from './frames.js';
import { manifestSchema, type Manifest, type PartEntry } from './manifest.js';
import { RecordCodec, lines, type PartRecord } from './records.js';
import { PartTally } from './tally.js';

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

  /** Reads every frame; each part's sha256, bytes, records and row counts must match the manifest. */
  async verify(onProgress: (totalBytes: number) => void = () => undefined): Promise<void> {
    let total = 0;
    const seen = new Map<string, PartTally>();
    for await (const { part, record, line } of this.lines(this.framesStart, 0, undefined)) {
      let tally = seen.get(part);
      if (!tally) seen.set(part, (tally = new PartTally()));
      tally.add(record, line);
      total += line.length;
      onProgress(total);
    }
    for (const part of this.manifest.parts) {
      const tally = seen.get(part.name);
      if (!(tally ? tally.matches(part) : part.records === 0)) throw new MoboError('BACKUP_CORRUPT', `Part "${part.name}" does not match its checksum`, { details: { part: part.name } });
      seen.delete(part.name);
    }
    if (seen.size > 0) throw corrupt('The archive holds records of parts its manifest does not list');
  }

  /** One part's records, in order. */
  async *records(name: string): AsyncIterable<PartRecord> {
    const part = this.part(name);
    if (part.records === 0) return;
    let count = 0;
    for await (const line of this.lines(part.start.offset, part.start.index, name)) {
      yield line.record;
      if (++count === part.records) return;
    }
    throw corrupt(`Part "${name}" ends early`);
  }

  /** Records from the frame at `offset` on; with `only`, just that part's (contiguous) records. */
  private async *lines(offset: number, index: number, only: string | undefined): AsyncIterable<{ part: string; record: PartRecord; line: Buffer }> {
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
      ahead = read(frame.next, index + 1);
      for (const line of lines(frame.data)) {
        const { part, record } = codec.decode(line);
        if (only !== undefined && part !== only) {
          if (started) return;
          continue;
        }
        started = true;
        yield { part, record, line };
      }
      index++;
    }
    if (only === undefined && index !== this.manifest.frames) throw corrupt('The archive is missing frames');
  }
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
