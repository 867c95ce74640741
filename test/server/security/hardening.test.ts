// Rule (issue 10, low findings): TLS 1.2 offers only forward-secret AEAD suites (no CBC, no SHA-1);
// CSV exports always neutralise formulas; password change is throttled and locks out like login; a
// broker login proof works once; every API response carries Cache-Control: no-store.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoginProofChecker, loginProof } from '../../../src/contracts/broker-login.ts';
import { collect, exportPeople } from '../../../src/server/csv/export.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import { loadOrCreateCertificate, tlsServerOptions } from '../../../src/server/transport/certificate.ts';
import { type Agent, type Harness, startHarness, strongPassword } from './support/harness.ts';

describe('hardening', () => {
  let h: Harness;
  let admin: Agent;
  beforeEach(async () => {
    h = await startHarness();
    ({ agent: admin } = await h.loggedInAdmin());
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses TLS 1.2 CBC and SHA-1 suites, accepts an ECDHE AEAD suite', async () => {
    const certificate = await loadOrCreateCertificate(h.dir);
    const server = createServer(tlsServerOptions(certificate), (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const handshake = (ciphers: string) =>
      new Promise<string>((resolve) => {
        const socket = connect({
          host: '127.0.0.1',
          port,
          ciphers,
          maxVersion: 'TLSv1.2',
          rejectUnauthorized: false,
        });
        socket.once('secureConnect', () => {
          resolve(socket.getCipher().name);
          socket.destroy();
        });
        socket.once('error', () => resolve('refused'));
      });
    try {
      expect(await handshake('ECDHE-ECDSA-AES128-SHA')).toBe('refused');
      expect(await handshake('ECDHE-ECDSA-AES256-SHA384')).toBe('refused');
      expect(await handshake('ECDHE-ECDSA-AES128-GCM-SHA256')).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('neutralises formulas in every CSV export, not only with the Excel option', async () => {
    await admin.post('/api/people', { id: 'P1', name: '=HYPERLINK("http://x","y")' });
    await admin.post('/api/people', { id: 'P2', name: "'=already quoted" });
    const text = await collect(exportPeople(repositories(h.store.db, h.installationKey)));
    expect(text).toContain(`P1,"'=HYPERLINK(""http://x"",""y"")"`);
    expect(text).toContain(`P2,''=already quoted`);
  });

  it('throttles password changes: wrong current passwords count towards the lockout', async () => {
    const { password } = await h.addOperator('clerk', 'operator', { departments: ['sales'], sites: [] });
    const clerk = h.agent();
    await clerk.login('clerk', password);
    for (let i = 0; i < 5; i++)
      expect(
        (
          await clerk.post('/api/auth/password', {
            currentPassword: `wrong-${i}-x`,
            newPassword: strongPassword(),
          })
        ).statusCode,
      ).toBe(401);
    const right = await clerk.post('/api/auth/password', {
      currentPassword: password,
      newPassword: strongPassword(),
    });
    expect(right.statusCode).toBe(429);
    expect(right.json().error.code).toBe('LOGIN_LOCKED');
  });

  it('answers every API response with Cache-Control: no-store', async () => {
    const token = await admin.post('/api/auth/tokens', { name: 't', permissions: ['people:read'] });
    h.scanner.secret('token', token.json().token, admin.lastCaptureId);
    for (const response of [
      token,
      await admin.get('/api/auth/session'),
      await h.agent().login('nobody', 'x'.repeat(12)),
    ])
      expect(response.headers['cache-control']).toBe('no-store');
  });

  it('accepts a broker login proof once', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const checker = new LoginProofChecker();
    const now = Date.parse('2026-12-02T00:00:00Z');
    const proof = loginProof('main', 'ctl-1', privateKey, now);
    expect(checker.check('main', 'ctl-1', proof, publicKey, now)).toBe(true);
    expect(checker.check('main', 'ctl-1', proof, publicKey, now + 1000)).toBe(false);
    expect(
      checker.check('main', 'ctl-1', loginProof('main', 'ctl-1', privateKey, now + 1), publicKey, now + 1000),
    ).toBe(true);
  });
});
