// Rule: the management server speaks HTTPS by default with a certificate generated at first start
// (key file 0600) or an installed one; TLS 1.1 and older are refused; every response carries HSTS and
// the other security headers; only addresses on the allow-list (IPv4 and IPv6 CIDR) get past 403.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComposedServer, composeServer } from '../../../src/server/compose.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import {
  isAllowed,
  loadOrCreateCertificate,
  parseAllowList,
  registerAllowList,
  type ServerCertificate,
  tlsServerOptions,
} from '../../../src/server/transport/index.ts';

function tryTls(port: number, version: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3', ca: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca,
      minVersion: version,
      maxVersion: version,
      // let the client offer old protocols at all, so the refusal is the server's
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      const protocol = socket.getProtocol() ?? 'unknown';
      socket.end();
      resolve(protocol);
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(`refused: ${error.code ?? error.message}`),
    );
  });
}

function get(port: number, ca: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/health', ca, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS transport', () => {
  let dir: string;
  let certificate: ServerCertificate;
  let app: FastifyInstance;
  let server: ComposedServer;
  let port: number;
  let store: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-tls-'));
    certificate = await loadOrCreateCertificate(dir, { hostnames: ['localhost', '127.0.0.1', '::1'] });
    // the real app, served the way serve.ts serves it
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    const installationKey = randomBytes(32);
    server = await composeServer({
      store,
      installationKey,
      logger: pino({ level: 'silent' }),
      https: tlsServerOptions(certificate),
      docs: false,
      controllers: false,
    });
    app = server.app;
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a certificate at first start with an owner-only key, and reuses it afterwards', async () => {
    expect(certificate.source).toBe('generated');
    expect(statSync(certificate.keyPath).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateCertificate(dir);
    expect(again.source).toBe('stored');
    expect(again.fingerprint256).toBe(certificate.fingerprint256);
    const installed = await loadOrCreateCertificate(dir, {
      certPath: certificate.certPath,
      keyPath: certificate.keyPath,
    });
    expect(installed.source).toBe('installed');
    await expect(loadOrCreateCertificate(dir, { certPath: certificate.certPath })).rejects.toThrow(/both/);
  });

  it('refuses TLS 1.1 and accepts TLS 1.2 and 1.3', async () => {
    // the alert comes from the server: the client was willing (SECLEVEL=0) to speak TLS 1.1
    expect(await tryTls(port, 'TLSv1.1', certificate.cert)).toBe(
      'refused: ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    );
    expect(await tryTls(port, 'TLSv1.2', certificate.cert)).toBe('TLSv1.2');
    expect(await tryTls(port, 'TLSv1.3', certificate.cert)).toBe('TLSv1.3');
  });

  it('sends HSTS and the other security headers over a verified connection', async () => {
    const response = await get(port, certificate.cert);
    expect(response.status).toBe(200);
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(String(response.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });
});

describe('management IP allow-list', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    registerAllowList(app, ['10.0.0.0/8', '192.0.2.10', '2001:db8::/32']);
    app.get('/api/anything', async () => ({ ok: true }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it('lets listed IPv4 and IPv6 networks through and answers 403 to everyone else', async () => {
    for (const [address, status] of [
      ['10.1.2.3', 200],
      ['::ffff:10.1.2.3', 200],
      ['192.0.2.10', 200],
      ['192.0.2.11', 403],
      ['172.16.0.1', 403],
      ['2001:db8:1::5', 200],
      ['2001:db9::5', 403],
      ['::1', 403],
    ] as const) {
      const response = await app.inject({ method: 'GET', url: '/api/anything', remoteAddress: address });
      expect(response.statusCode, address).toBe(status);
      if (status === 403) expect(response.json().error.code).toBe('ADDRESS_NOT_ALLOWED');
    }
  });

  it('rejects malformed entries at configuration time', () => {
    expect(() => parseAllowList(['10.0.0.0/33'])).toThrow(/prefix/);
    expect(() => parseAllowList(['not-an-ip'])).toThrow(/not an IP/);
    expect(() => parseAllowList(['10.0.0.0/8x'])).toThrow(/prefix/);
    expect(isAllowed(parseAllowList(['::/0']), 'garbage')).toBe(false);
  });
});
