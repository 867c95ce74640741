// Serves the web console (built by `npm run build:web` into dist/web) from the server's own HTTPS
// origin: hashed assets under /assets with a long cache life, and index.html for `/` and every
// client route (/floor, /people/E-1, …), so a reload or a bookmark lands on the right page. /api is
// untouched: an unknown /api path still answers the API's 404. The console's responses carry a
// strict content security policy: no inline script or style, nothing from another origin. The one
// exception is a per-response nonce for style elements: react-aria adds two small <style> rules at
// run time (touch behaviour of pressable elements) and tags them with the nonce it reads from
// <meta name="csp-nonce">; nothing without that nonce may style the page inline.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const CONSOLE_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

export const consoleCsp = (styleNonce?: string) =>
  [
    "default-src 'self'",
    "script-src 'self'",
    styleNonce ? `style-src 'self' 'nonce-${styleNonce}'` : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Monban</title></head>
<body><h1>Monban</h1><p>The web console is not built. Run <code>npm run build:web</code> (npm ci does it),
then reload. The API is at <a href="/api/docs">/api/docs</a>.</p></body></html>`;

function sendPage(reply: FastifyReply, html: string, status = 200) {
  const nonce = randomBytes(18).toString('base64');
  return reply
    .code(status)
    .header('content-security-policy', consoleCsp(nonce))
    .header('cache-control', 'no-cache')
    .type('text/html; charset=utf-8')
    .send(html.replace('<head>', `<head>\n    <meta name="csp-nonce" nonce="${nonce}" />`));
}

export async function registerConsole(app: FastifyInstance, options: { dir?: string } = {}): Promise<void> {
  const dir = options.dir ?? CONSOLE_DIR;
  const indexFile = join(dir, 'index.html');
  const built = existsSync(indexFile);
  // Read once: the page is small and changes only with a new build (and a restart).
  const index = built ? readFileSync(indexFile, 'utf8') : NOT_BUILT;

  await app.register(async (scope) => {
    if (built)
      await scope.register(fastifyStatic, {
        root: dir,
        prefix: '/',
        wildcard: false,
        index: false,
        decorateReply: false,
        // @fastify/static hands over the Fastify reply here (its types still say ServerResponse).
        setHeaders(res, path) {
          const reply = res as unknown as FastifyReply;
          reply.header('content-security-policy', consoleCsp());
          // Vite names assets by content hash: they never change under the same name.
          reply.header(
            'cache-control',
            path.startsWith(join(dir, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache',
          );
        },
      });

    const page = async (request: { url: string }, reply: FastifyReply) => {
      const path = request.url.split('?')[0] ?? '/';
      if (path === '/api' || path.startsWith('/api/')) return reply.callNotFound();
      // A missing file (an old asset name, a typo) is a 404, not the app.
      if (/\.[a-z0-9]{1,8}$/i.test(path) && path !== '/index.html') return reply.callNotFound();
      return sendPage(reply, index, built ? 200 : 503);
    };
    scope.get('/', { schema: { hide: true } }, page);
    scope.get('/*', { schema: { hide: true } }, page);
  });
}
