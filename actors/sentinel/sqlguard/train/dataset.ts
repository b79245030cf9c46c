/**
 * The shared SQL-injection data (`../shared/data/sqli/` beside the repo; never copied into
 * it): every line with its label and source block, as its README lists them, and a split
 * made per block with a seeded shuffle so every block is represented in each part.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { seededRandom } from '../../../../tools/index.js';

export type Label = 0 | 1;

export interface Sample {
  value: string;
  label: Label;
  /** `malicious/libinjection`, `benign/faker` … */
  block: string;
  /** Benign lines that look like SQL or are odd on purpose (all benign blocks but faker). */
  hard: boolean;
  /** Where it is: `malicious.txt` or `benign.txt`, 1-based line (reports cite lines, never values). */
  file: string;
  line: number;
}

export type Part = 'train' | 'validation' | 'test';

/** Line ranges (1-based, inclusive) from the data's README. */
const BLOCKS: Record<'malicious' | 'benign', Array<[string, number, number]>> = {
  malicious: [
    ['libinjection', 1, 17006],
    ['PATT', 17007, 18290],
    ['fuzzdb', 18291, 18452],
    ['CRS', 18453, 18656],
    ['BLNS', 18657, 18661],
  ],
  benign: [
    ['libinjection', 1, 409],
    ['CRS', 410, 508],
    ['BLNS', 509, 677],
    ['faker', 678, 9318],
    ['hand-written', 9319, 9602],
  ],
};

/**
 * The data folder: `--data DIR`, else `shared/data/sqli` in the nearest folder above the
 * repository that has one (beside the clone in CI; a git worktree sits one level deeper).
 */
export function dataDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  let dir = process.cwd();
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  for (let up = dirname(dir); ; up = dirname(up)) {
    const candidate = join(up, 'shared', 'data', 'sqli');
    if (existsSync(join(candidate, 'malicious.txt'))) return candidate;
    if (dirname(up) === up) throw new Error(`No shared/data/sqli found above ${dir}; pass --data DIR`);
  }
}

export function loadSamples(dir: string): Sample[] {
  const samples: Sample[] = [];
  for (const kind of ['malicious', 'benign'] as const) {
    const lines = readFileSync(join(dir, `${kind}.txt`), 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    const last = BLOCKS[kind].at(-1)![2];
    if (lines.length !== last) throw new Error(`${kind}.txt has ${lines.length} lines; its README lists ${last}`);
    for (const [name, from, to] of BLOCKS[kind]) {
      for (let n = from; n <= to; n++) {
        samples.push({ value: lines[n - 1]!, label: kind === 'malicious' ? 1 : 0, block: `${kind}/${name}`, hard: kind === 'benign' && name !== 'faker', file: `${kind}.txt`, line: n });
      }
    }
  }
  return samples;
}


export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Per block: 20% test (never trained on), 10% validation (picks the threshold), the rest train. */
export function split(samples: Sample[], seed: number): Record<Part, Sample[]> {
  const random = seededRandom(seed);
  const parts: Record<Part, Sample[]> = { train: [], validation: [], test: [] };
  const byBlock = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = byBlock.get(s.block) ?? [];
    list.push(s);
    byBlock.set(s.block, list);
  }
  for (const block of [...byBlock.keys()].sort()) {
    const items = shuffle(byBlock.get(block)!, random);
    const test = Math.max(1, Math.round(items.length * 0.2));
    const validation = Math.max(1, Math.round(items.length * 0.1));
    parts.test.push(...items.slice(0, test));
    parts.validation.push(...items.slice(test, test + validation));
    parts.train.push(...items.slice(test + validation));
  }
  return parts;
}
