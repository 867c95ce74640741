// Security headers for the console and API (@fastify/helmet): HSTS for a year, a strict content
// security policy, no framing, no MIME sniffing, no referrer leakage.

import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export const HSTS_MAX_AGE_S = 365 * 24 * 3600;

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    hsts: { maxAge: HSTS_MAX_AGE_S, includeSubDomains: true },
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  // API answers carry personal data, and some carry secrets shown once (tokens, backup codes, CSRF
  // tokens, issued PIN codes): no browser or proxy may keep any of them.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
    return payload;
  });
}
