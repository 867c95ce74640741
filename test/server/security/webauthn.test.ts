// Rule: a passkey (WebAuthn, ES256) registers with attestation "none" and then serves as an admin's
// second factor. Each challenge is answered once; an assertion for another origin or RP, from an
// unregistered key, or replayed, is refused.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, type Harness, ORIGIN, RP_ID, startHarness } from './support/harness.ts';
import { SoftAuthenticator } from './support/soft-authenticator.ts';

describe('WebAuthn passkeys', () => {
  let h: Harness;
  let password: string;
  let key: SoftAuthenticator;
  beforeEach(async () => {
    h = await startHarness();
    ({ password } = await h.addOperator('admin', 'admin'));
    key = new SoftAuthenticator({ origin: ORIGIN, rpId: RP_ID, userVerified: true });
  });
  afterEach(async () => {
    await h.close();
  });

  async function enrol(agent: Agent, authenticator = key) {
    const options = (await agent.post('/api/auth/webauthn/register/options')).json();
    return agent.post('/api/auth/webauthn/register/verify', {
      response: authenticator.register(options),
      name: 'YubiKey',
    });
  }

  async function passwordStep(): Promise<Agent> {
    const agent = h.agent();
    expect((await agent.login('admin', password)).json().stage).toBe('mfa');
    return agent;
  }

  it('registers a passkey as the first factor an admin enrols, then logs in with it', async () => {
    const agent = h.agent();
    expect((await agent.login('admin', password)).json().stage).toBe('enrol');
    const options = (await agent.post('/api/auth/webauthn/register/options')).json();
    expect(options).toMatchObject({ rp: { id: RP_ID }, attestation: 'none', user: { name: 'admin' } });
    const registered = await agent.post('/api/auth/webauthn/register/verify', {
      response: key.register(options),
      name: 'YubiKey',
    });
    expect(registered.json()).toMatchObject({ enrolled: true, stage: 'full' });
    for (const code of registered.json().backupCodes)
      h.scanner.secret('backup code', code, agent.lastCaptureId);
    const stored = await h.db.selectFrom('webauthn_credentials').selectAll().execute();
    expect(stored).toMatchObject([{ id: key.id, name: 'YubiKey' }]);

    const login = await passwordStep();
    const challenge = (await login.post('/api/auth/login/webauthn/options')).json();
    expect(challenge.allowCredentials).toEqual([
      { id: key.id, type: 'public-key', transports: ['internal'] },
    ]);
    const done = await login.post('/api/auth/login/webauthn/verify', {
      response: key.authenticate(challenge),
    });
    expect(done.json().stage).toBe('full');
    expect((await login.get('/api/operators')).statusCode).toBe(200);
    const row = await h.db.selectFrom('webauthn_credentials').selectAll().executeTakeFirstOrThrow();
    expect(Number(row.counter)).toBe(1);
  });

  it('refuses a replayed assertion and a reused challenge', async () => {
    const setup = h.agent();
    await setup.login('admin', password);
    const reg = await enrol(setup);
    for (const code of reg.json().backupCodes ?? [])
      h.scanner.secret('backup code', code, setup.lastCaptureId);

    const first = await passwordStep();
    const challenge = (await first.post('/api/auth/login/webauthn/options')).json();
    const assertion = key.authenticate(challenge);
    expect((await first.post('/api/auth/login/webauthn/verify', { response: assertion })).statusCode).toBe(
      200,
    );

    const second = await passwordStep();
    await second.post('/api/auth/login/webauthn/options');
    expect((await second.post('/api/auth/login/webauthn/verify', { response: assertion })).statusCode).toBe(
      401,
    );
  });

  it('refuses another origin, another RP id, and an unregistered key', async () => {
    const setup = h.agent();
    await setup.login('admin', password);
    const reg = await enrol(setup);
    for (const code of reg.json().backupCodes) h.scanner.secret('backup code', code, setup.lastCaptureId);

    const agent = await passwordStep();
    for (const response of [
      (c: { challenge: string }) => key.authenticate(c, { origin: 'https://evil.example' }),
      (c: { challenge: string }) => key.authenticate(c, { rpId: 'evil.example' }),
      (c: { challenge: string }) => new SoftAuthenticator({ origin: ORIGIN, rpId: RP_ID }).authenticate(c),
    ]) {
      const challenge = (await agent.post('/api/auth/login/webauthn/options')).json();
      const result = await agent.post('/api/auth/login/webauthn/verify', { response: response(challenge) });
      expect(result.statusCode).toBe(401);
      expect(result.json().error.code).toBe('SECOND_FACTOR_FAILED');
    }
    // and the real key still works afterwards
    const challenge = (await agent.post('/api/auth/login/webauthn/options')).json();
    expect(
      (await agent.post('/api/auth/login/webauthn/verify', { response: key.authenticate(challenge) })).json()
        .stage,
    ).toBe('full');
  });

  it('refuses a registration for another origin or without options first', async () => {
    const agent = h.agent();
    await agent.login('admin', password);
    const noChallenge = await agent.post('/api/auth/webauthn/register/verify', {
      response: key.register({ challenge: 'AAAA' }),
    });
    expect(noChallenge.json().error.code).toBe('WEBAUTHN_NO_CHALLENGE');
    const options = (await agent.post('/api/auth/webauthn/register/options')).json();
    const wrong = await agent.post('/api/auth/webauthn/register/verify', {
      response: key.register(options, { origin: 'https://evil.example' }),
    });
    expect(wrong.json().error.code).toBe('WEBAUTHN_VERIFICATION_FAILED');
    expect(await h.db.selectFrom('webauthn_credentials').selectAll().execute()).toEqual([]);
  });
});
