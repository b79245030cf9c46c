import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The mobo version from the package.json above this module (source and dist trees differ in depth). */
export function moboVersion(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'magmobomini' && pkg.version) return (cached = pkg.version);
    } catch {
      // not here; look one level up
    }
  }
  return (cached = 'unknown');
}
