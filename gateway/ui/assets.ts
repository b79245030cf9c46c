import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One built file of the page, with the precompressed forms the build wrote beside it. */
export interface Asset {
  type: string;
  raw: Buffer;
  br?: Buffer;
  gzip?: Buffer;
  /** Vite names files under assets/ by content hash: cacheable for ever. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** `dist/ui` of the package this module belongs to, run from `dist/` or from source. */
export function builtPageDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dist', 'ui', 'index.html'))) return join(dir, 'dist', 'ui');
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every file of the built page by its URL path under `/_/` (`index.html`, `assets/main-3f2a.js` …). */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const file = join(at, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (!name.endsWith('.gz') && !name.endsWith('.br') && !name.endsWith('.map')) {
        const path = relative(dir, file).split(sep).join('/');
        const asset: Asset = { type: TYPES[extname(name)] ?? 'application/octet-stream', raw: readFileSync(file), immutable: path.startsWith('assets/') };
        if (existsSync(`${file}.br`)) asset.br = readFileSync(`${file}.br`);
        if (existsSync(`${file}.gz`)) asset.gzip = readFileSync(`${file}.gz`);
        assets.set(path, asset);
      }
    }
  };
  walk(dir);
  return assets;
}

/** The best encoding the client takes that the build wrote (brotli, then gzip, else none). */
export function pickEncoding(asset: Asset, acceptEncoding: string | undefined): { body: Buffer; encoding?: 'br' | 'gzip' } {
  const accepts = (name: string) => new RegExp(`(^|[\\s,])${name}(\\s*;\\s*q=(?!0(\\.0*)?\\b)[\\d.]+)?\\s*(,|$)`, 'i').test(acceptEncoding ?? '');
  if (asset.br && accepts('br')) return { body: asset.br, encoding: 'br' };
  if (asset.gzip && accepts('gzip')) return { body: asset.gzip, encoding: 'gzip' };
  return { body: asset.raw };
}
