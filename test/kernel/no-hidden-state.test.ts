import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOTS = ['actors', 'gateway', 'cluster', 'runtime', 'supervisors', 'adapters', 'config', 'tools', 'cli'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('no per-node state hidden outside supervision', () => {
  it('nothing is kept in a map keyed by the board: each component gets its own board, so such state splits silently; use board.system.services', () => {
    const offenders = ROOTS.flatMap(sources).filter((file) => /\b(Weak)?Map<\s*Board\b/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
