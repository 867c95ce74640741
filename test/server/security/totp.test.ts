// Rule: TOTP follows RFC 6238 (SHA-1, 6 digits, 30 s) so any authenticator app works: the server's
// codes agree with Debian's oathtool, the otpauth:// URI carries the secret for a QR code, a code is
// accepted one step either side for clock skew, never twice (replay), and the secret is stored
// encrypted.
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkTotp } from '../../../src/server/auth/totp.ts';
import { type Harness, startHarness } from './support/harness.ts';

function hasOathtool(): boolean {
  try {
    execFileSync('oathtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const OATHTOOL = hasOathtool();

function oathtool(secret: string, epochMs: number): string {
  return execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(epochMs / 1000)}`, secret], {
    encoding: 'utf8',
  }).trim();
}

describe('TOTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('checks the RFC 6238 SHA-1 vector (T=59 → 94287082, 6 digits 287082)', async () => {
    // RFC 6238 appendix B secret "12345678901234567890" in base32
    expect(await checkTotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '287082', 59_000, -1)).toBe(1);
  });

  it.skipIf(!OATHTOOL)(
    'enrols and logs in with codes computed by oathtool (skipped when oathtool is not installed: apt-get install oathtool)',
    async () => {
      const { password } = await h.addOperator('admin', 'admin');
      const agent = h.agent();
      await agent.login('admin', password);
      const enrol = await agent.post('/api/auth/totp/enrol');
      const { secret, uri } = enrol.json();
      h.scanner.secret('TOTP secret', secret, agent.lastCaptureId);
      const url = new URL(uri);
      expect(url.protocol).toBe('otpauth:');
      expect(url.searchParams.get('secret')).toBe(secret);
      expect(url.searchParams.get('issuer')).toBe('Monban');
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);

      const verified = await agent.post('/api/auth/totp/verify', { code: oathtool(secret, h.clock.now()) });
      expect(verified.json()).toMatchObject({ enrolled: true, stage: 'full' });
      for (const code of verified.json().backupCodes)
        h.scanner.secret('backup code', code, agent.lastCaptureId);

      h.clock.advance(60_000);
      const second = h.agent();
      await second.login('admin', password);
      expect(
        (await second.post('/api/auth/login/totp', { code: oathtool(secret, h.clock.now()) })).json().stage,
      ).toBe('full');

      // replay: the same code in the same step is refused
      const replay = h.agent();
      await replay.login('admin', password);
      expect(
        (await replay.post('/api/auth/login/totp', { code: oathtool(secret, h.clock.now()) })).statusCode,
      ).toBe(401);

      // skew: a code from the previous step is fine when that step was not used, two steps back is not
      h.clock.advance(90_000);
      const skewed = h.agent();
      await skewed.login('admin', password);
      expect(
        (await skewed.post('/api/auth/login/totp', { code: oathtool(secret, h.clock.now() - 60_000) }))
          .statusCode,
      ).toBe(401);
      expect(
        (await skewed.post('/api/auth/login/totp', { code: oathtool(secret, h.clock.now() - 30_000) })).json()
          .stage,
      ).toBe('full');
    },
  );

  it('stores the secret encrypted, never as given', async () => {
    const { password } = await h.addOperator('admin', 'admin');
    const agent = h.agent();
    await agent.login('admin', password);
    const { secret } = (await agent.post('/api/auth/totp/enrol')).json();
    h.scanner.secret('TOTP secret', secret, agent.lastCaptureId);
    const rows = await h.db.selectFrom('totp_factors').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('refuses a second enrolment while one is confirmed', async () => {
    const { agent } = await h.loggedInAdmin();
    expect((await agent.post('/api/auth/totp/enrol')).json().error.code).toBe('TOTP_ALREADY_ENROLLED');
  });
});
