import type { EdgeContext } from '../edge.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import { MoboError } from '../../runtime/index.js';
import { builtPageDir, loadAssets, pickEncoding, type Asset } from './assets.js';

/**
 * No inline script or style, nothing from elsewhere: the page talks only to this node
 * (its admin API, `/metrics`, and the realtime WebSocket for the event inspector).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * MagUI at `/_/`: the built page from the package (`dist/ui`, no CDN), precompressed
 * brotli/gzip chosen by Accept-Encoding, hashed assets cached for ever and the shell
 * never. The files are code only: every piece of data the page shows comes from the
 * admin API, with the token the operator logs in with.
 */
export function mountUi({ router }: EdgeContext): void {
  const dir = builtPageDir();
  const assets = dir ? loadAssets(dir) : new Map<string, Asset>();
  const serve = (path: string, req: HttpRequest): HttpResponse => {
    if (assets.size === 0) throw new MoboError('UI_NOT_BUILT');
    const asset = assets.get(path);
    if (!asset) throw new MoboError('HTTP_NOT_FOUND', `No file ${path} in the admin page`, { details: { path: req.path } });
    const { body, encoding } = pickEncoding(asset, req.headers['accept-encoding']);
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      vary: 'Accept-Encoding',
    };
    if (encoding) headers['content-encoding'] = encoding;
    return { status: 200, headers, body };
  };
  router.get('/_', (req) => serve('index.html', req));
  router.get('/_/assets/:file', (req) => serve(`assets/${req.params.file}`, req));
}
