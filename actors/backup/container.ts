/**
 * The archive's byte layout (formats 1 and 2; they differ in records.ts only). Everything after the header is frames; the last
 * frame holds the manifest and a fixed trailer points at it, so a listing reads the head and
 * the tail only, and a truncated file has no trailer.
 *
 *   "MOBOBAK1" | u32 header length | header JSON (plain: id, times, node, encrypted, key check)
 *   frame*     | u32 payload length | u8 flags (1 = manifest) | payload (gzip, then AES-GCM if encrypted)
 *   trailer    | u64 offset of the manifest frame | "MOBOEND1"
 */
import { z } from 'zod';
import { MoboError } from '../../runtime/index.js';

/**
 * The format new archives are written in. Readers take both: 1 carries a Postgres COPY chunk
 * as a JSON string, 2 as raw bytes after its JSON line (records.ts).
 */
export const FORMAT = 2;
export const formatSchema = z.union([z.literal(1), z.literal(2)]);
export type ArchiveFormat = z.infer<typeof formatSchema>;
export const MAGIC = Buffer.from('MOBOBAK1');
export const END_MAGIC = Buffer.from('MOBOEND1');
export const TRAILER_BYTES = 16;
export const FRAME_HEAD_BYTES = 5;
export const FLAG_MANIFEST = 1;
/** A frame holds about this much uncompressed record data. */
export const FRAME_TARGET_BYTES = 1 << 20;
/** Anything larger in a length field is damage, not data. */
export const MAX_FRAME_BYTES = 256 << 20;

export const headerSchema = z.object({
  format: formatSchema,
  id: z.string().min(1),
  createdAt: z.string(),
  node: z.string(),
  moboVersion: z.string(),
  encrypted: z.boolean(),
  keyCheck: z.string().optional(),
});
export type ArchiveHeader = z.infer<typeof headerSchema>;

export function encodeHeader(header: ArchiveHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, length, json]);
}

/** Parses the head of a file: the header and where the first frame starts. */
export function decodeHeader(head: Buffer): { header: ArchiveHeader; end: number } {
  if (head.length < MAGIC.length + 4 || !head.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('This is not a MagBackup archive');
  const length = head.readUInt32BE(MAGIC.length);
  const end = MAGIC.length + 4 + length;
  if (length > 64 * 1024 || head.length < end) throw corrupt('The archive header is damaged');
  try {
    return { header: headerSchema.parse(JSON.parse(head.subarray(MAGIC.length + 4, end).toString('utf8'))), end };
  } catch (err) {
    throw corrupt('The archive header is damaged', err);
  }
}

export function encodeTrailer(manifestOffset: number): Buffer {
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.writeBigUInt64BE(BigInt(manifestOffset));
  END_MAGIC.copy(trailer, 8);
  return trailer;
}

export function decodeTrailer(trailer: Buffer, fileSize: number, framesStart: number): number {
  if (trailer.length !== TRAILER_BYTES || !trailer.subarray(8).equals(END_MAGIC)) throw corrupt('The archive is truncated: its trailer is missing');
  const offset = Number(trailer.readBigUInt64BE(0));
  if (offset < framesStart || offset > fileSize - TRAILER_BYTES - FRAME_HEAD_BYTES) throw corrupt('The archive trailer is damaged');
  return offset;
}

export function frameHead(length: number, flags: number): Buffer {
  const head = Buffer.alloc(FRAME_HEAD_BYTES);
  head.writeUInt32BE(length);
  head.writeUInt8(flags, 4);
  return head;
}

/** What the cipher authenticates with each frame: the archive id, the frame's index, its flags. */
export function frameAad(archiveId: string, index: number, flags: number): Buffer {
  const position = Buffer.alloc(5);
  position.writeUInt32BE(index);
  position.writeUInt8(flags, 4);
  return Buffer.concat([Buffer.from(archiveId), position]);
}

export function corrupt(message: string, cause?: unknown): MoboError {
  return new MoboError('BACKUP_CORRUPT', message, cause === undefined ? undefined : { cause });
}
