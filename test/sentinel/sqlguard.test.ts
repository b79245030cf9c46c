import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, defaultManifestPath, resolveBands, SqlGuard } from '../../actors/sentinel/index.js';
import { certainPattern, isPlain } from '../../actors/sentinel/sqlguard/rules.js';
import { dataDir, loadSamples, split } from '../../actors/sentinel/sqlguard/train/dataset.js';
import { evaluate } from '../../actors/sentinel/sqlguard/train/evaluate.js';
import { EVERYDAY } from './helpers.js';

describe('SQLGuard model file', () => {
  let guard: SqlGuard;
  const manifestPath = defaultManifestPath();
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    bits: number;
    seed: number;
    threshold: number;
    checks: Array<{ file: string; line: number; score: number }>;
    result: { test: { confusion: { tp: number; fn: number; fp: number; tn: number }; blocks: Record<string, { flagged: number; n: number }> } };
  };
  const dir = dataDir();
  const lines: Record<string, string[]> = {
    'malicious.txt': readFileSync(join(dir, 'malicious.txt'), 'utf8').split('\n'),
    'benign.txt': readFileSync(join(dir, 'benign.txt'), 'utf8').split('\n'),
  };

  beforeAll(async () => {
    guard = await SqlGuard.load(manifestPath);
  });
  afterAll(() => guard.close());

  it('is committed beside its manifest and loads under onnxruntime', () => {
    expect(dirname(manifestPath).endsWith(join('actors', 'sentinel', 'model'))).toBe(true);
    expect(guard.manifest.bits).toBe(manifest.bits);
  });

  it("scores the report's check lines as the training script did (model alone, by file and line)", async () => {
    expect(manifest.checks.length).toBeGreaterThan(100);
    const scores = await guard.modelScores(manifest.checks.map((c) => lines[c.file]![c.line - 1]!));
    manifest.checks.forEach((c, i) => expect(Math.abs(scores[i]! - c.score), `${c.file}:${c.line}`).toBeLessThan(1e-6));
  });

  it('reproduces the held-out confusion matrix and per-block counts of TRAINING.md', async () => {
    const { test } = split(loadSamples(dir), manifest.seed);
    const scored = await guard.score(test.map((s) => s.value));
    const result = evaluate(test, scored.map((s) => s.score), manifest.threshold);
    expect(result.confusion).toEqual(manifest.result.test.confusion);
    for (const [block, b] of Object.entries(manifest.result.test.blocks)) expect(result.blocks[block]?.flagged, block).toBe(b.flagged);
  });

  it('meets the detection target on the held-out split: ≥ 99% of malicious, ≤ 0.5% of benign', () => {
    const { tp, fn, fp, tn } = manifest.result.test.confusion;
    expect(tp / (tp + fn)).toBeGreaterThanOrEqual(0.99);
    expect(fp / (fp + tn)).toBeLessThanOrEqual(0.005);
  });

  it('never blocks everyday values, SQL-like prose included', async () => {
    const bands = resolveBands({ alert: 0.7, log: 0.4 }, guard.manifest);
    for (const s of await guard.score(EVERYDAY)) expect(decide(s.score, bands), s.value).not.toBe('block');
  });

  it('blocks the classic probes', async () => {
    const bands = resolveBands({ alert: 0.7, log: 0.4 }, guard.manifest);
    const probes = ["1' or '1'='1", "admin'--", '1 union select username, password from users', "'; drop table users; --", '1 and sleep(5)', "x' AND extractvalue(1,concat(0x7e,version()))--"];
    for (const s of await guard.score(probes)) expect(decide(s.score, bands), s.value).toBe('block');
  });
});

describe('SQLGuard fast path', () => {
  const samples = loadSamples(dataDir());

  it('certain rules hit no benign line of the shared data, and plain passes no malicious one', () => {
    expect(samples.filter((s) => s.label === 0 && certainPattern(s.value) !== undefined).map((s) => s.line)).toEqual([]);
    expect(samples.filter((s) => s.label === 1 && isPlain(s.value)).map((s) => s.line)).toEqual([]);
  });

  it('treats ids, numbers, names and emails as plain, and SQL words, quotes and comments as not', () => {
    for (const v of ['42', 'b3f1c2d4-0e4a-4d7e-9a51-3f2e0c1d9b7a', 'Jean-Luc Picard', 'alice@example.com', '2024-05-01T10:00:00Z', '']) expect(isPlain(v), v).toBe(true);
    for (const v of ["O'Brien", 'union station', '1--', 'a/*b', '@@version', '0x414243444546', 'x;y']) expect(isPlain(v), v).toBe(false);
  });
});
