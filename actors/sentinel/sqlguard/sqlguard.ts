import { featuresOf } from './features.js';
import type { ModelSession } from './onnx-session.js';
import { openSession } from './onnx-session.js';
import { readModel, type ModelManifest } from './model-file.js';
import { isPlain } from './rules.js';
import { triage, type Triage } from './stages.js';

export type Decision = 'block' | 'alert' | 'log' | 'allow';

/** Scores at or above each band get that decision; below `log` is `allow`. */
export interface Bands {
  block: number;
  alert: number;
  log: number;
}

export function decide(score: number, bands: Bands): Decision {
  if (score >= bands.block) return 'block';
  if (score >= bands.alert) return 'alert';
  if (score >= bands.log) return 'log';
  return 'allow';
}

export interface Scored {
  value: string;
  score: number;
  stage: Triage['stage'];
}

/**
 * SQLGuard: scores values a client sent for SQL injection, in [0, 1]. Plain values and
 * certain patterns are judged in TypeScript (stages.ts); the rest are scored together in
 * one ONNX run. One instance per loaded model; hot-swapping builds a new one.
 */
export class SqlGuard {
  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: ModelSession,
    /** ms spent reading and opening the model. */
    readonly loadMs: number,
  ) {}

  static async load(manifestPath: string): Promise<SqlGuard> {
    const started = performance.now();
    const { manifest, bytes } = readModel(manifestPath);
    const session = await openSession(bytes);
    return new SqlGuard(manifest, session, performance.now() - started);
  }

  /** True when no value needs the model: the request path's synchronous fast exit. */
  static allPlain(values: readonly string[]): boolean {
    for (const v of values) if (!isPlain(v)) return false;
    return true;
  }

  async score(values: readonly string[]): Promise<Scored[]> {
    const spec = { bits: this.manifest.bits };
    const out: Scored[] = [];
    const pending: Array<{ at: number; features: Int32Array }> = [];
    for (const value of values) {
      const t = triage(value, spec);
      if (t.stage === 'model') pending.push({ at: out.length, features: t.features });
      out.push({ value, score: t.stage === 'model' ? 0 : t.score, stage: t.stage });
    }
    if (pending.length > 0) {
      const scores = await this.session.score(pending.map((p) => p.features));
      pending.forEach((p, i) => (out[p.at]!.score = scores[i]!));
    }
    return out;
  }

  /** Every value through the model, the fast path skipped: for checking the file against its training report. */
  modelScores(values: readonly string[]): Promise<Float32Array> {
    return this.session.score(values.map((v) => featuresOf(v, { bits: this.manifest.bits })));
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** The configured bands, with `block` defaulting to the model's trained threshold. */
export function resolveBands(configured: { block?: number | undefined; alert: number; log: number }, manifest: ModelManifest): Bands {
  return { block: configured.block ?? manifest.threshold, alert: configured.alert, log: configured.log };
}
