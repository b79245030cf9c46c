import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { CONTENT_SECURITY_POLICY } from '../../gateway/ui/index.js';
import { builtPageDir, pickEncoding, type Asset } from '../../gateway/ui/assets.js';
import { tempDir } from '../support/cli.js';
import { startTestNode } from '../support/node.js';

/** MagUI's files over HTTP: what a browser gets before any login (raw node:http-level fetches, no decoding). */
describe('MagUI assets at /_/', () => {
  const dir = tempDir('mobo-ui-serve-');
  let node: MoboNode;
  let base = '';
  const get = (path: string, encoding?: string) => fetch(`${base}${path}`, { headers: encoding === undefined ? {} : { 'accept-encoding': encoding } });

  beforeAll(async () => {
    expect(builtPageDir(), 'dist/ui is built by npm run build').toBeDefined();
    node = await startTestNode({}, dir);
    base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  });
  afterAll(() => node?.stop());

  const scriptOf = async (): Promise<string> => {
    const html = await (await get('/_/', 'identity')).text();
    const src = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
    expect(src).toMatch(/^\/_\/assets\/index-[\w-]+\.js$/);
    return src!;
  };

  it('serves the login shell with a strict CSP, no inline script or style, never cached', async () => {
    const res = await get('/_/', 'identity');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style="/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(await (await get('/_', 'identity')).text()).toBe(html);
  });

  it('sends the precompressed brotli or gzip file the client takes, once encoded, cached for ever', async () => {
    const src = await scriptOf();
    const plain = Buffer.from(await (await get(src, 'identity')).arrayBuffer());
    expect(plain.length).toBeGreaterThan(1000);
    const raw = async (encoding: string) => {
      // Node's fetch decodes bodies; ask through a Request that keeps them as sent.
      const { request } = await import('node:http');
      return new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const req = request(`${base}${src}`, { headers: { 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });
    };
    const br = await raw('gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain)).toBe(true);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['vary']).toBe('Accept-Encoding');
    const gz = await raw('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    // Once: the edge must not gzip the gzip again.
    expect(gunzipSync(gz.body).equals(plain)).toBe(true);
    const none = await raw('identity');
    expect(none.headers['content-encoding']).toBeUndefined();
    expect(none.body.equals(plain)).toBe(true);
  });

  it('answers a file that is not in the build with 404, and the admin API without a token with 401', async () => {
    const missing = await get('/_/assets/nope-%22%C3%BC%22.js');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('HTTP_NOT_FOUND');
    const traversal = await get('/_/assets/..%2F..%2Fpackage.json');
    expect(traversal.status).toBe(404);
    const status = await get('/v1/admin/status');
    expect(status.status).toBe(401);
    expect(((await status.json()) as { error: { code: string } }).error.code).toBe('AUTH_REQUIRED');
  });
});

describe('pickEncoding', () => {
  const asset: Asset = { type: 'text/javascript', raw: Buffer.from('r'), br: Buffer.from('b'), gzip: Buffer.from('g'), immutable: true };
  it.each([
    ['br, gzip', 'br'],
    ['gzip', 'gzip'],
    ['gzip;q=1, br;q=0', 'gzip'],
    ['br;q=0.0, gzip;q=0', undefined],
    ['', undefined],
    ['identity', undefined],
    ['x-gzip-like', undefined],
    ['GZIP', 'gzip'],
  ])('Accept-Encoding %j → %s', (header, want) => {
    expect(pickEncoding(asset, header).encoding).toBe(want);
  });
  it('falls back to the plain file when the build wrote no compressed copy', () => {
    expect(pickEncoding({ ...asset, br: undefined, gzip: undefined }, 'br, gzip')).toEqual({ body: asset.raw });
  });
});
