import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MoboError } from '../../../runtime/index.js';

/** What `npm run sentinel:train` writes beside the ONNX file; serving needs the width and the threshold. */
const manifestSchema = z.object({ model: z.string(), sha256: z.string(), bits: z.number().int().min(8).max(24), threshold: z.number().min(0).max(1) }).passthrough();
export type ModelManifest = z.infer<typeof manifestSchema>;

/** The committed model: `actors/sentinel/model/sqlguard.json` under the package root, found from this file (source, dist or bundle). */
export function defaultManifestPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'actors', 'sentinel', 'model'))) {
    if (dirname(dir) === dir) throw new MoboError('SENTINEL_MODEL_INVALID', 'The bundled SQLGuard model was not found; set sentinel.sqlguard.model');
    dir = dirname(dir);
  }
  return join(dir, 'actors', 'sentinel', 'model', 'sqlguard.json');
}

/** Reads a manifest and its ONNX file (checked against the manifest's sha256); a missing or malformed one is SENTINEL_MODEL_INVALID naming the path. */
export function readModel(manifestPath: string): { manifest: ModelManifest; bytes: Uint8Array } {
  const path = resolve(manifestPath);
  try {
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    const bytes = readFileSync(join(dirname(path), manifest.model));
    if (createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) throw new Error('the ONNX file does not match the sha256 in its manifest');
    return { manifest, bytes };
  } catch (err) {
    throw new MoboError('SENTINEL_MODEL_INVALID', `The SQLGuard model at ${path} could not be read`, { details: { path }, cause: err });
  }
}
