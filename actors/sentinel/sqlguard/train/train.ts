/**
 * `npm run sentinel:train [-- --data DIR --seed N]`: trains SQLGuard's model from the shared
 * data and writes, into actors/sentinel/model/: `sqlguard.onnx` (the model),
 * `sqlguard.json` (feature width, threshold, the held-out results, and the scores of sample
 * held-out lines by file and line number, which the tests check the ONNX file against) and
 * `TRAINING.md` (the report). Reproducible: one seed drives the split and the order.
 *
 * Logistic regression with per-coordinate AdaGrad over hashed features (features.ts). The
 * libinjection block is 91% of the malicious lines (75% from one forum dump), so each
 * block's weight is capped at BLOCK_CAP lines' worth; the hard negatives count extra; and
 * the classes are balanced.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { featuresOf } from '../features.js';
import { scoreFeatures, sigmoid, type LinearModel } from '../linear-model.js';
import { triage } from '../stages.js';
import { seededRandom } from '../../../../tools/index.js';
import { dataDir, loadSamples, shuffle, split, type Sample } from './dataset.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { exportOnnx } from './onnx-export.js';
import { writeReport } from './report.js';

export const BITS = 16;
const BLOCK_CAP = 3_000;
const HARD_WEIGHT = 2;
const EPOCHS = 25;
const LEARNING_RATE = 0.3;
const L2 = 1e-6;
/** The highest false-positive rate on the validation benign lines the threshold may cost. */
const TARGET_FPR = 0.0025;
/** Recall (a fraction) the threshold may give up against the best threshold of the grid. */
const RECALL_SLACK = 0.001;
/**
 * The seed whose held-out misses were read when the certain rules and the hard-negative
 * weight were chosen (sessions of 2026-12-01). Held-out lines of today's split that were
 * not in that one's held-out part were never looked at in the test role: the clean figure.
 */
const LOOKED_AT_SEED = 17;
const DEFAULT_SEED = '2027';

interface Row {
  sample: Sample;
  features: Int32Array;
  weight: number;
}

function weigh(rows: Row[]): void {
  const perBlock = new Map<string, number>();
  for (const r of rows) perBlock.set(r.sample.block, (perBlock.get(r.sample.block) ?? 0) + 1);
  for (const r of rows) r.weight = Math.min(1, BLOCK_CAP / perBlock.get(r.sample.block)!) * (r.sample.hard ? HARD_WEIGHT : 1);
  const total = (label: number) => rows.filter((r) => r.sample.label === label).reduce((a, r) => a + r.weight, 0);
  const scale = total(1) / total(0);
  for (const r of rows) if (r.sample.label === 0) r.weight *= scale;
}

function fit(rows: Row[], seed: number): LinearModel {
  const size = 1 << BITS;
  const w = new Float64Array(size);
  const g2 = new Float64Array(size).fill(1e-8);
  let bias = 0;
  let biasG2 = 1e-8;
  const random = seededRandom(seed);
  const order = rows.map((_, i) => i);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    shuffle(order, random);
    for (const i of order) {
      const { features, sample, weight } = rows[i]!;
      let z = bias;
      for (const f of features) z += w[f]!;
      const grad = (sigmoid(z) - sample.label) * weight;
      for (const f of features) {
        const g = grad + L2 * w[f]!;
        g2[f] = g2[f]! + g * g;
        w[f] = w[f]! - (LEARNING_RATE * g) / Math.sqrt(g2[f]!);
      }
      biasG2 += grad * grad;
      bias -= (LEARNING_RATE * grad) / Math.sqrt(biasG2);
    }
  }
  return { bits: BITS, weights: Float32Array.from(w), bias: Math.fround(bias) };
}

/** The pipeline's score of each sample: 0 for plain values, 1 for certain rules, else the model's. */
function pipelineScores(model: LinearModel, samples: readonly Sample[]): Float64Array {
  return Float64Array.from(samples, (s) => {
    const t = triage(s.value, model);
    return t.stage === 'model' ? scoreFeatures(model, t.features) : t.score;
  });
}

/**
 * The threshold: over the grid 0.50…0.99, the highest one whose validation recall is within
 * RECALL_SLACK of the best recall on the grid and whose validation false-positive rate is at
 * most TARGET_FPR. Scores of clear cases sit near 0 and 1; raising the threshold through
 * the flat middle costs almost no recall and keeps borderline benign text (a height
 * written `5' 11"`) out of the block band.
 */
function chooseThreshold(samples: readonly Sample[], scores: Float64Array): number {
  const grid = Array.from({ length: 50 }, (_, i) => 0.5 + i / 100);
  const results = grid.map((t) => evaluate(samples, scores, t));
  const best = Math.max(...results.map((e) => e.recall));
  const fit = results.filter((e) => e.recall >= best - RECALL_SLACK && e.fpr <= TARGET_FPR);
  return fit.length === 0 ? 0.99 : Math.max(...fit.map((e) => e.threshold));
}

interface TrainingResult {
  threshold: number;
  validation: Evaluation;
  test: Evaluation;
  testModelOnly: Evaluation;
  /** The pipeline on the held-out lines never read while rules and weights were chosen. */
  testUnseen: Evaluation;
}

/** The evaluation restricted to held-out lines outside LOOKED_AT_SEED's held-out part (all of them when this is that split). */
function unseen(samples: Sample[], test: readonly Sample[], scores: Float64Array, seed: number, threshold: number): Evaluation {
  const lookedAt = new Set(seed === LOOKED_AT_SEED ? [] : split(samples, LOOKED_AT_SEED).test);
  const keep = test.map((s) => !lookedAt.has(s));
  return evaluate(test.filter((_, i) => keep[i]), scores.filter((_, i) => keep[i]), threshold);
}

function main(): void {
  const { values: args } = parseArgs({ options: { data: { type: 'string' }, seed: { type: 'string', default: DEFAULT_SEED }, out: { type: 'string', default: 'actors/sentinel/model' } } });
  const seed = Number(args.seed);
  const dir = dataDir(args.data);
  const started = performance.now();
  const samples = loadSamples(dir);
  const parts = split(samples, seed);
  const spec = { bits: BITS };
  const rows: Row[] = parts.train.map((sample) => ({ sample, features: featuresOf(sample.value, spec), weight: 1 }));
  weigh(rows);
  const model = fit(rows, seed);
  const validationScores = pipelineScores(model, parts.validation);
  const threshold = chooseThreshold(parts.validation, validationScores);
  const testScores = pipelineScores(model, parts.test);
  const modelOnly = Float64Array.from(parts.test, (s) => scoreFeatures(model, featuresOf(s.value, spec)));
  const result: TrainingResult = {
    threshold,
    validation: evaluate(parts.validation, validationScores, threshold),
    test: evaluate(parts.test, testScores, threshold),
    testModelOnly: evaluate(parts.test, modelOnly, threshold),
    testUnseen: unseen(samples, parts.test, testScores, seed, threshold),
  };

  mkdirSync(args.out, { recursive: true });
  const onnx = exportOnnx(model, { bits: String(BITS), threshold: String(threshold), seed: String(seed) });
  writeFileSync(join(args.out, 'sqlguard.onnx'), onnx);
  const sha = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
  const checks = parts.test
    .map((s, i) => ({ file: s.file, line: s.line, score: modelOnly[i]! }))
    .filter((_, i) => i % 10 === 0);
  const manifest = {
    model: 'sqlguard.onnx',
    sha256: sha(onnx),
    bits: BITS,
    seed,
    threshold,
    data: { 'malicious.txt': sha(readFileSync(join(dir, 'malicious.txt'))), 'benign.txt': sha(readFileSync(join(dir, 'benign.txt'))) },
    split: { train: parts.train.length, validation: parts.validation.length, test: parts.test.length },
    result,
    checks,
  };
  writeFileSync(join(args.out, 'sqlguard.json'), JSON.stringify(manifest, null, 1) + '\n');
  writeReport(join(args.out, 'TRAINING.md'), manifest, { trainSeconds: (performance.now() - started) / 1000, modelBytes: onnx.byteLength });
  console.log(`sentinel:train: threshold ${threshold}; held-out recall ${(result.test.recall * 100).toFixed(2)}%, FPR ${(result.test.fpr * 100).toFixed(2)}% (hard negatives ${(result.test.hardFpr * 100).toFixed(2)}%); ${onnx.byteLength} bytes → ${args.out}`);
}

main();
