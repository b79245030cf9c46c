import { z } from 'zod';
import { formatSchema } from './container.js';

export const partKinds = ['control', 'config', 'source'] as const;
export type PartKind = (typeof partKinds)[number];

const partSchema = z.object({
  /** `control`, `config`, or `<project>/<source>`. */
  name: z.string().min(1),
  kind: z.enum(partKinds),
  adapter: z.enum(['postgres', 'sqlite', 'mysql', 'redis', 'mongodb']).optional(),
  project: z.string().optional(),
  source: z.string().optional(),
  namespace: z.string().optional(),
  /** The source URL sealed with the node's secrets.key (never in plain text). */
  sealedUrl: z.string().optional(),
  poolMax: z.number().optional(),
  /** When reading this part began: every write acknowledged before it is in the part. */
  snapshotAt: z.string(),
  sha256: z.string(),
  bytes: z.number().int().min(0),
  records: z.number().int().min(0),
  /** The frame holding the part's first record, so a part is read without unpacking the others. */
  start: z.object({ offset: z.number().int().min(0), index: z.number().int().min(0) }),
  /** Rows per table, in dump order. */
  rows: z.record(z.number().int().min(0)),
});
export type PartEntry = z.infer<typeof partSchema>;

export const manifestSchema = z.object({
  format: formatSchema,
  id: z.string().min(1),
  moboVersion: z.string(),
  node: z.string(),
  createdAt: z.string(),
  finishedAt: z.string(),
  encrypted: z.boolean(),
  /** Data frames before the manifest: fewer means frames went missing. */
  frames: z.number().int().min(0),
  reason: z.string(),
  parts: z.array(partSchema),
});
export type Manifest = z.infer<typeof manifestSchema>;

export function totalRows(part: Pick<PartEntry, 'rows'>): number {
  return Object.values(part.rows).reduce((a, b) => a + b, 0);
}
