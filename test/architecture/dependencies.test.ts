import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';

const CRUISER = resolve('node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = resolve('.dependency-cruiser.cjs');
const FOLDERS = ['runtime', 'supervisors', 'actors', 'gateway', 'adapters', 'config', 'cluster', 'cli', 'tools'];

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/** Runs dependency-cruiser with the project's rules in `cwd`; `known`: ignore the listed known violations. */
async function cruise(cwd: string, folders: string[], known: boolean): Promise<Violation[]> {
  const args = [CRUISER, ...folders, '--config', CONFIG, '--output-type', 'json', ...(known ? ['--ignore-known'] : [])];
  // Exit code 1 means "violations found": the JSON on stdout says which.
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch((err: { stdout?: string }) => {
    if (!err.stdout) throw err;
    return { stdout: err.stdout };
  });
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('dependency direction (runtime ← supervisors ← actors ← gateway ← cli; across folders through index.ts)', () => {
  it('has no forbidden import beyond the known ones, and says how many of those are left', async () => {
    const violations = await cruise(process.cwd(), FOLDERS, true);
    const known = violations.filter((v) => v.rule.severity === 'ignore');
    const fresh = violations.filter((v) => v.rule.severity !== 'ignore');
    const counts = new Map<string, number>();
    for (const v of known) counts.set(v.rule.name, (counts.get(v.rule.name) ?? 0) + 1);
    const byRule = [...counts].map(([rule, n]) => `${rule} ${n}`);
    console.log(`dependency check: ${known.length} known violations left (.dependency-cruiser-known-violations.json): ${byRule.join(', ')}`);
    expect(fresh.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 180_000);

  it('fails on a forbidden import (a fixture tree): a lower layer importing a higher one, and a reach past index.ts', async () => {
    const dir = tempDir('mobo-deps-');
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true } }),
      'gateway/index.ts': "export * from './edge.js';\n",
      'gateway/edge.ts': 'export const edge = 1;\n',
      'runtime/index.ts': "export * from './clock.js';\n",
      'runtime/clock.ts': "import { edge } from '../gateway/edge.js';\nexport const clock = edge;\n",
      'actors/reach.ts': "import { clock } from '../runtime/clock.js';\nexport const reach = clock;\n",
      'actors/fine.ts': "import { clock } from '../runtime/index.js';\nimport { reach } from './reach.js';\nexport const fine = clock + reach;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const found = (await cruise(dir, ['runtime', 'actors', 'gateway'], false)).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(found).toContain('layer-runtime: runtime/clock.ts → gateway/edge.ts');
    expect(found).toContain('through-index: actors/reach.ts → runtime/clock.ts');
    expect(found.filter((f) => f.includes('actors/fine.ts'))).toEqual([]);
  }, 180_000);
});
