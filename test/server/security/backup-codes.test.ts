// Rule: backup codes are one-time: each logs in once (also when two requests race with it), is stored
// only as a keyed hash, and regenerating them voids the old set.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.ts';

describe('backup codes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('logs in once per code, accepting the code with or without dash and in any case', async () => {
    const { password, backupCodes } = await h.loggedInAdmin();
    expect(backupCodes).toHaveLength(10);
    expect(new Set(backupCodes).size).toBe(10);
    const first = h.agent();
    await first.login('admin', password);
    const ok = await first.post('/api/auth/login/backup-code', {
      code: backupCodes[0]!.replace('-', '').toUpperCase(),
    });
    expect(ok.json().stage).toBe('full');
    const again = h.agent();
    await again.login('admin', password);
    expect((await again.post('/api/auth/login/backup-code', { code: backupCodes[0] })).statusCode).toBe(401);
    expect((await again.post('/api/auth/login/backup-code', { code: backupCodes[1] })).json().stage).toBe(
      'full',
    );
  });

  it('is consumed exactly once when two logins race with the same code', async () => {
    const { password, backupCodes } = await h.loggedInAdmin();
    const agents = [h.agent(), h.agent(), h.agent()];
    for (const agent of agents) await agent.login('admin', password);
    const results = await Promise.all(
      agents.map((a) => a.post('/api/auth/login/backup-code', { code: backupCodes[2] })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401, 401]);
  });

  it('stores only keyed hashes, and regenerating voids the old codes', async () => {
    const { agent, password, backupCodes } = await h.loggedInAdmin();
    const rows = await h.db.selectFrom('backup_codes').selectAll().execute();
    for (const code of backupCodes) {
      expect(JSON.stringify(rows)).not.toContain(code);
      expect(JSON.stringify(rows)).not.toContain(code.replace('-', ''));
    }
    const regenerated = await agent.post('/api/auth/backup-codes');
    const fresh = (regenerated.json().codes as string[]).map((c) =>
      h.scanner.secret('new backup code', c, agent.lastCaptureId),
    );
    const old = h.agent();
    await old.login('admin', password);
    expect((await old.post('/api/auth/login/backup-code', { code: backupCodes[3] })).statusCode).toBe(401);
    expect((await old.post('/api/auth/login/backup-code', { code: fresh[0] })).json().stage).toBe('full');
    const session = (await old.get('/api/auth/session')).json();
    expect(session.mfa).toMatchObject({ totp: true, backupCodes: 9 });
  });
});
