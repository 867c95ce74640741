// The metrics endpoint: `GET /metrics` on a listener of its own, not a route of the management API.
// Why apart: every API request goes through the operator security stack (session or token, CSRF,
// the allow-list) and is written to the audit log; a scrape every 15 seconds would fill the audit
// trail with noise and tie monitoring to an operator account. A separate port can also be opened to
// the monitoring network only. So it is off unless a port is configured, on 127.0.0.1 by default
// (plain HTTP: a scraper on the same host); on any other address it serves TLS and requires a bearer
// token, or it refuses to start (fail closed). The same module serves the controllers' endpoint.

import { timingSafeEqual } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface MetricsListenerOptions {
  host: string;
  port: number;
  /** the exposition text, produced at each scrape */
  scrape: () => Promise<string>;
  contentType: string;
  /** required on a non-loopback address: `Authorization: Bearer <token>` */
  token?: string | undefined;
  /** required on a non-loopback address */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
}

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

export class MetricsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsConfigError';
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function authorized(request: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export async function startMetricsListener(options: MetricsListenerOptions): Promise<MetricsListener> {
  const loopback = isLoopback(options.host);
  if (!loopback && (!options.token || !options.tls))
    throw new MetricsConfigError(
      `metrics on ${options.host} (not loopback) need a bearer token and TLS: set the token file, or listen on 127.0.0.1`,
    );
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET only\n');
      return;
    }
    if (!authorized(request, options.token)) {
      response
        .writeHead(401, { 'www-authenticate': 'Bearer realm="monban-metrics"', 'content-type': 'text/plain' })
        .end('a bearer token is required\n');
      return;
    }
    Promise.resolve()
      .then(() => options.scrape())
      .then(
        (text) => response.writeHead(200, { 'content-type': options.contentType }).end(text),
        () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
  };
  const server: Server = options.tls
    ? createHttpsServer({ ...options.tls, minVersion: 'TLSv1.2' }, handle)
    : createHttpServer(handle);
  // Idle keep-alive connections of a scraper must not hold up shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
