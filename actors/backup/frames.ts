import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import { FLAG_MANIFEST, FRAME_HEAD_BYTES, FRAME_TARGET_BYTES, MAX_FRAME_BYTES, corrupt, frameAad, frameHead } from './container.js';
import type { FrameCipher } from './frame-cipher.js';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);
/** The manifest frame's index in the additional data: it is read by offset, not by counting. */
const MANIFEST_INDEX = 0xffff_ffff;
/**
 * gzip level 1: on COPY text it is 2.5x cheaper than level 6 for a frame 4% larger (83 MB of
 * mixed rows: 0.5 s of CPU and 17.4 MB against 1.3 s and 16.8 MB), and a dump then waits on
 * Postgres, not on zlib. Readers do not care which level a frame was packed at.
 */
const GZIP_LEVEL = 1;
/**
 * zlib's output buffer: its default 16 KiB makes a frame (about 1 MiB unpacked) take some 64
 * round trips through the thread pool; one buffer the size of a frame cuts gunzip's CPU 3x.
 */
const ZLIB_CHUNK_BYTES = FRAME_TARGET_BYTES;

/** How frames are packed and unpacked: gzip (in the thread pool), then AES-GCM when keyed. */
export class FrameCodec {
  constructor(
    private readonly archiveId: string,
    private readonly cipher: FrameCipher | undefined,
  ) {}

  async pack(plain: Buffer, index: number, flags: number): Promise<Buffer> {
    const packed = await gzip(plain, { level: GZIP_LEVEL, chunkSize: ZLIB_CHUNK_BYTES });
    return this.cipher ? this.cipher.seal(packed, frameAad(this.archiveId, aadIndex(index, flags), flags)) : packed;
  }

  async unpack(payload: Buffer, index: number, flags: number): Promise<Buffer> {
    const packed = this.cipher ? this.cipher.open(payload, frameAad(this.archiveId, aadIndex(index, flags), flags)) : payload;
    try {
      return await gunzip(packed, { chunkSize: ZLIB_CHUNK_BYTES });
    } catch (err) {
      throw corrupt(`Frame ${flags & FLAG_MANIFEST ? 'manifest' : index} is damaged`, err);
    }
  }
}

const aadIndex = (index: number, flags: number): number => (flags & FLAG_MANIFEST ? MANIFEST_INDEX : index);

/** Appends frames to an open file; `offset` is where the next frame starts. */
export class FrameWriter {
  frames = 0;

  constructor(
    private readonly file: FileHandle,
    public offset: number,
    private readonly codec: FrameCodec,
  ) {}

  async write(plain: Buffer, flags = 0): Promise<void> {
    const payload = await this.codec.pack(plain, this.frames, flags);
    const bytes = Buffer.concat([frameHead(payload.length, flags), payload]);
    await this.file.write(bytes, 0, bytes.length, this.offset);
    this.offset += bytes.length;
    if (!(flags & FLAG_MANIFEST)) this.frames++;
  }
}

export interface Frame {
  flags: number;
  data: Buffer;
  /** Where the next frame starts. */
  next: number;
}

/** Reads and unpacks the frame at `offset` (the `index`-th data frame, or the manifest). */
export async function readFrame(file: FileHandle, offset: number, limit: number, index: number, codec: FrameCodec): Promise<Frame> {
  const head = await readExactly(file, offset, FRAME_HEAD_BYTES, limit);
  const length = head.readUInt32BE(0);
  const flags = head.readUInt8(4);
  if (length > MAX_FRAME_BYTES) throw corrupt(`Frame ${index} has an impossible length`);
  const payload = await readExactly(file, offset + FRAME_HEAD_BYTES, length, limit);
  return { flags, data: await codec.unpack(payload, index, flags), next: offset + FRAME_HEAD_BYTES + length };
}

export async function readExactly(file: FileHandle, position: number, length: number, limit: number): Promise<Buffer> {
  if (position + length > limit) throw corrupt('The archive is truncated');
  const buffer = Buffer.allocUnsafe(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw corrupt('The archive is truncated');
  return buffer;
}
