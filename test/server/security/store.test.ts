// Rule: the security storage behaves the same on every backend (SQLite and, when
// MONBAN_TEST_DATABASE_URL is set, PostgreSQL), and its atomic primitives hold under concurrency:
// a failure is counted and the lock set in one step, a backup code or setup token is consumed once,
// a TOTP step is accepted once, an alarm transition happens once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acknowledgeAlarm, listAlarms, raiseAlarm, resolveAlarm } from '../../../src/server/alarms/store.ts';
import type { AlarmState } from '../../../src/server/alarms/types.ts';
import { queryAudit, recordAudit } from '../../../src/server/audit/store.ts';
import { tokenPrincipal } from '../../../src/server/auth/authority.ts';
import { type SecurityDb, securityDb, storageView } from '../../../src/server/auth/context.ts';
import {
  acceptTotpStep,
  addWebauthnCredential,
  advanceWebauthnCounter,
  consumeBackupCode,
  consumeSetupTokenForAdmin,
  createApiToken,
  createOperator,
  createSession,
  findActiveApiToken,
  getSession,
  lockedUntil,
  noteLoginAddress,
  putPendingTotp,
  recordLoginFailure,
  replaceBackupCodes,
  storeSetupToken,
  updateOperator,
} from '../../../src/server/auth/store.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { backends } from '../storage/backends.ts';

describe.each(backends)('security storage on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let db: SecurityDb;
  let operatorId: string;
  const now = 1_800_000_000_000;
  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
    db = securityDb(store.db);
    operatorId = (
      await createOperator(db, { username: 'Op.One', role: 'admin', passwordHash: '$argon2id$x' }, now)
    ).id;
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('counts failures and locks in one statement, also in parallel, and starts over after the lock', async () => {
    const policy = { maxFailures: 5, durationMs: 60_000 };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => recordLoginFailure(db, 'Guess', now, policy)),
    );
    expect(results.map((r) => r.failures).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(results.filter((r) => r.justLocked)).toHaveLength(1);
    expect(await lockedUntil(db, 'guess', now)).toBe(now + 60_000);
    expect(await lockedUntil(db, 'guess', now + 60_000)).toBeUndefined();
    const after = await recordLoginFailure(db, 'guess', now + 60_000, policy);
    expect(after).toEqual({ failures: 1, lockedUntil: undefined, justLocked: false });
  });

  it('consumes a backup code exactly once under concurrency', async () => {
    await replaceBackupCodes(db, operatorId, ['h1', 'h2'], now);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => consumeBackupCode(db, operatorId, 'h1', now)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await consumeBackupCode(db, operatorId, 'nope', now)).toBe(false);
  });

  it('accepts a TOTP step once and only forward; enrolment cannot replace a confirmed factor', async () => {
    await putPendingTotp(db, operatorId, 'sealed-1', now);
    await putPendingTotp(db, operatorId, 'sealed-2', now);
    expect(await acceptTotpStep(db, operatorId, 100, false)).toBe(false);
    expect(await acceptTotpStep(db, operatorId, 100, true)).toBe(true);
    const steps = await Promise.all([101, 101, 101].map((s) => acceptTotpStep(db, operatorId, s, false)));
    expect(steps.filter(Boolean)).toHaveLength(1);
    expect(await acceptTotpStep(db, operatorId, 99, false)).toBe(false);
    await expect(putPendingTotp(db, operatorId, 'sealed-3', now)).rejects.toMatchObject({
      code: 'TOTP_ALREADY_ENROLLED',
    });
  });

  it('moves a WebAuthn counter once from a given value', async () => {
    await addWebauthnCredential(
      db,
      { id: 'cred-1', operatorId, publicKey: 'pk', counter: 0, transports: [], name: 'k' },
      now,
    );
    const moved = await Promise.all([1, 1].map((c) => advanceWebauthnCounter(db, 'cred-1', 0, c, now)));
    expect(moved.filter(Boolean)).toHaveLength(1);
  });

  it('uses a setup token once and only while no admin exists', async () => {
    await storeSetupToken(db, 'token-hash', now, now + 1000);
    await expect(
      consumeSetupTokenForAdmin(db, 'token-hash', { username: 'x', role: 'admin', passwordHash: 'h' }, now),
    ).rejects.toMatchObject({ code: 'SETUP_ALREADY_DONE' });
    await storeSetupToken(db, 'token-hash-2', now, now + 1000);
    await expect(
      consumeSetupTokenForAdmin(
        db,
        'token-hash-2',
        { username: 'x', role: 'admin', passwordHash: 'h' },
        now + 1000,
      ),
    ).rejects.toMatchObject({ code: 'SETUP_TOKEN_INVALID' });
  });

  it('rotates a session in one transaction and finds API tokens only while usable', async () => {
    await createSession(db, {
      idHash: 'a',
      operatorId,
      stage: 'mfa',
      now,
      expiresAt: now + 1000,
      source: '::1',
    });
    await createSession(db, {
      idHash: 'b',
      operatorId,
      stage: 'full',
      now,
      expiresAt: now + 1000,
      source: '::1',
      replaces: 'a',
    });
    expect(await getSession(db, 'a')).toBeUndefined();
    expect(await getSession(db, 'b')).toMatchObject({ stage: 'full', operatorId });

    await createApiToken(db, {
      name: 't',
      tokenHash: 'th',
      createdBy: operatorId,
      role: 'admin',
      permissions: ['people:read'],
      scope: 'all',
      createdAt: now,
      expiresAt: now + 10,
    });
    expect((await findActiveApiToken(db, 'th', now))?.token).toMatchObject({
      permissions: ['people:read'],
      scope: 'all',
    });
    expect(await findActiveApiToken(db, 'th', now + 10)).toBeUndefined();
    await updateOperator(db, operatorId, { disabled: true }, now);
    // found, but worthless: its creator is checked on every use (authority.ts)
    const found = (await findActiveApiToken(db, 'th', now))!;
    expect(tokenPrincipal(found.token, found.creator)).toBeUndefined();
    await updateOperator(db, operatorId, { disabled: false }, now);
  });

  it('remembers login addresses', async () => {
    expect(await noteLoginAddress(db, operatorId, '10.0.0.1', now)).toEqual({
      isNew: true,
      firstLogin: true,
    });
    expect(await noteLoginAddress(db, operatorId, '10.0.0.1', now)).toEqual({
      isNew: false,
      firstLogin: false,
    });
    expect(await noteLoginAddress(db, operatorId, '10.0.0.2', now)).toEqual({
      isNew: true,
      firstLogin: false,
    });
  });

  it('runs the alarm lifecycle once per step and counts repeats of an active alarm', async () => {
    const first = await raiseAlarm(
      db,
      { type: 'login_failures', source: 's', message: 'm', dedupeKey: 'k' },
      now,
    );
    const repeat = await raiseAlarm(
      db,
      { type: 'login_failures', source: 's', message: 'm', dedupeKey: 'k' },
      now + 1,
    );
    expect(repeat).toMatchObject({ id: first.id, occurrences: 2, lastRaisedAt: now + 1 });
    const acks = await Promise.allSettled([1, 2, 3].map(() => acknowledgeAlarm(db, first.id, 'op', now)));
    expect(acks.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await resolveAlarm(db, first.id, 'op', now + 2);
    const again = await raiseAlarm(
      db,
      { type: 'login_failures', source: 's', message: 'm', dedupeKey: 'k' },
      now + 3,
    );
    expect(again.id).not.toBe(first.id);
    const resolved = await listAlarms(db, { state: 'resolved' as AlarmState });
    expect(resolved.alarms.map((a) => a.id)).toEqual([first.id]);
  });

  it('filters the audit log by action prefix, actor and time, newest first', async () => {
    const log = storageView(db);
    for (const [i, action] of ['login.success', 'login.failure', 'login_x', 'person.create'].entries())
      await recordAudit(log, Buffer.alloc(32, 7), {
        at: now + i,
        actor: i % 2 ? 'b' : 'a',
        source: '::1',
        action,
        target: 't',
        detail: {},
      });
    expect((await queryAudit(log, { actionPrefix: 'login.' })).records.map((r) => r.action)).toEqual([
      'login.failure',
      'login.success',
    ]);
    expect((await queryAudit(log, { actor: 'a', since: now + 1 })).records.map((r) => r.action)).toEqual([
      'login_x',
    ]);
  });
});
