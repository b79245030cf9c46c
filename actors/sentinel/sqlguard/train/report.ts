import { writeFileSync } from 'node:fs';
import type { Evaluation } from './evaluate.js';

interface Manifest {
  sha256: string;
  bits: number;
  seed: number;
  threshold: number;
  split: { train: number; validation: number; test: number };
  result: { validation: Evaluation; test: Evaluation; testModelOnly: Evaluation; testUnseen: Evaluation };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function table(e: Evaluation): string {
  const rows = Object.entries(e.blocks)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([block, b]) => `| ${block} | ${b.n} | ${b.flagged} | ${block.startsWith('malicious') ? `recall ${pct(b.rate)}` : `FPR ${pct(b.rate)}`} |`);
  return ['| block | lines | flagged | rate |', '|---|---:|---:|---:|', ...rows].join('\n');
}

function confusion(e: Evaluation): string {
  const c = e.confusion;
  return [
    '| | flagged | passed |',
    '|---|---:|---:|',
    `| malicious | ${c.tp} (TP) | ${c.fn} (FN) |`,
    `| benign | ${c.fp} (FP) | ${c.tn} (TN) |`,
    '',
    `Recall ${pct(e.recall)} · FPR ${pct(e.fpr)} · FPR on the hard negatives ${pct(e.hardFpr)}`,
  ].join('\n');
}

/** TRAINING.md: what `npm run sentinel:train` produced, written by it. */
export function writeReport(path: string, m: Manifest, run: { trainSeconds: number; modelBytes: number }): void {
  const text = `# SQLGuard model: training report

Written by \`npm run sentinel:train\` (seed ${m.seed}); do not edit by hand. Model
\`sqlguard.onnx\`, ${run.modelBytes} bytes, sha256 \`${m.sha256.slice(0, 16)}…\`; ${2 ** m.bits}
hashed features; trained in ${run.trainSeconds.toFixed(1)} s.

Data: \`shared/data/sqli\` (read in place, never copied). Split per source block with a
seeded shuffle: ${m.split.train} train, ${m.split.validation} validation (picks the
threshold), ${m.split.test} test (held out: never trained on; the model and the threshold never see it).
Each block weighs at most 3,000 lines' worth in training (libinjection's forum dump would
otherwise be 75% of the malicious lines), hard negatives (every benign block but faker)
count 2×, and the two classes weigh the same.

How clean the held-out figures are: the certain rules \`schema-change\` (\`alter table <name>
add|drop|change|modify|rename\`, \`create table <name> (\`) and \`tautology\` (\`or 1=1\`, \`) or
(a=a\`) were written after reading the held-out misses of an earlier model trained on the
split of seed 17, and the hard-negative weight went from 4× to 2× after comparing its held-out
results. This model uses a fresh split; the section "never looked at" below scores only its
held-out lines that were not in seed 17's held-out part, so no choice was made by reading
them: that is the clean figure. The rules are checked against every benign line (none hit,
\`test/sentinel/sqlguard.test.ts\`).

## Threshold: ${m.threshold}

The highest threshold of the grid 0.50…0.99 whose recall on the validation split is within
0.1 point of the best threshold's, and whose false-positive rate there is at most 0.25% (half
the 0.5% budget: validation has only a few hundred hard negatives). Clear cases score near
0 or 1, so moving up through the flat middle costs almost no recall and keeps borderline
benign text (a height written \`5' 11"\`) out of the block band. It is the default \`sentinel.sqlguard.bands.block\`; \`alert\` and \`log\` sit below it.

## Held-out test: the whole pipeline (plain → certain rules → model)

${table(m.result.test)}

${confusion(m.result.test)}

## Held-out test, never looked at: the pipeline on the ${m.result.testUnseen.confusion.tp + m.result.testUnseen.confusion.fn + m.result.testUnseen.confusion.fp + m.result.testUnseen.confusion.tn} held-out lines outside seed 17's held-out part

${table(m.result.testUnseen)}

${confusion(m.result.testUnseen)}

## Held-out test: the model alone (every line scored by the model)

${table(m.result.testModelOnly)}

${confusion(m.result.testModelOnly)}

## Validation (threshold choice)

${confusion(m.result.validation)}
`;
  writeFileSync(path, text);
}
