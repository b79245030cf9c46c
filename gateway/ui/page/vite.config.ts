import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = join(here, '..', '..', '..', 'dist', 'ui');

/** Writes `<file>.br` and `<file>.gz` beside every text asset, so the node serves them without compressing per request. */
function precompress(): Plugin {
  return {
    name: 'mobo-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg|json)$/.test(name)) continue;
        const file = join(options.dir ?? outDir, name);
        const data = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
      }
    },
  };
}

/** MagUI: built into dist/ui, served by the node at /_/ (gateway/ui/routes.ts). */
export default defineConfig({
  root: here,
  base: '/_/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir, emptyOutDir: true, assetsDir: 'assets', modulePreload: { polyfill: false }, sourcemap: false, target: 'es2022', reportCompressedSize: false },
  plugins: [precompress()],
});
