// The small installable pages the server serves to phones — a key link's page (/k/, keys/page.ts)
// and the mobile-key page (/m/, mobile/page.ts): their page, script, style sheet and manifest, each
// under a strict content security policy (no inline script, nothing from elsewhere), never cached,
// never sending a referrer, and kept out of the API document.

import type { FastifyInstance, FastifyReply } from 'fastify';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface PhonePage {
  /** `/k` or `/m` */
  prefix: string;
  html: string;
  /** file name and content of the page's one script and style sheet */
  script: [name: string, body: string];
  style: [name: string, body: string];
  manifest: string;
}

export function servePhonePage(app: FastifyInstance, page: PhonePage): void {
  const send = (type: string, body: string) => async (_request: unknown, reply: FastifyReply) =>
    reply
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .type(type)
      .send(body);
  const hide = { schema: { hide: true } };
  app.get(`${page.prefix}/`, hide, send('text/html; charset=utf-8', page.html));
  app.get(`${page.prefix}/${page.script[0]}`, hide, send('text/javascript; charset=utf-8', page.script[1]));
  app.get(`${page.prefix}/${page.style[0]}`, hide, send('text/css; charset=utf-8', page.style[1]));
  app.get(`${page.prefix}/manifest.webmanifest`, hide, send('application/manifest+json', page.manifest));
}
