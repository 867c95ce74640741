// Storage for administrator security, named after what the server does with it. Where two requests
// could race, the operation is one statement or one transaction: recording a failed login and locking
// the account, consuming a backup code, a setup token or a TOTP time step exactly once, rotating a
// session. Works on SQLite and PostgreSQL (ON CONFLICT and RETURNING exist on both).

import { sql } from 'kysely';
import { ApiError } from '../http/errors.ts';
import { type Permission, ROLES, type Role, type Scope } from '../http/principal.ts';
import type { SecurityDb } from './context.ts';
import { newId } from './secrets.ts';
import type { AuthSessionsTable, OperatorsTable } from './tables.ts';

export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

function isUniqueViolation(error: unknown): boolean {
  return /UNIQUE|23505|duplicate key/i.test(String((error as { code?: string }).code ?? '') + String(error));
}

// ---------------------------------------------------------------- operators

export interface Operator {
  id: string;
  username: string;
  email: string | null;
  displayName: string;
  role: Role;
  scope: Scope | 'all';
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

function toRole(value: string): Role {
  return (ROLES as readonly string[]).includes(value) ? (value as Role) : 'auditor';
}

export function toOperator(row: OperatorsTable): Operator {
  const role = toRole(row.role);
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    displayName: row.display_name,
    role,
    scope:
      role === 'operator'
        ? {
            departments: JSON.parse(row.scope_departments) as string[],
            sites: JSON.parse(row.scope_sites) as string[],
          }
        : 'all',
    disabled: row.disabled === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export interface NewOperator {
  username: string;
  email?: string | null;
  displayName?: string;
  role: Role;
  scope?: Scope;
  passwordHash: string;
}

/** The operator's row and its password, inside the caller's transaction. */
async function insertOperatorRows(
  tx: SecurityDb,
  id: string,
  input: NewOperator,
  now: number,
): Promise<void> {
  const username = normalizeUsername(input.username);
  await tx
    .insertInto('operators')
    .values({
      id,
      username,
      email: input.email ?? null,
      display_name: input.displayName ?? username,
      role: input.role,
      scope_departments: JSON.stringify(input.scope?.departments ?? []),
      scope_sites: JSON.stringify(input.scope?.sites ?? []),
      disabled: 0,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await tx
    .insertInto('password_credentials')
    .values({ operator_id: id, hash: input.passwordHash, changed_at: now })
    .execute();
}

async function insertOperator(db: SecurityDb, input: NewOperator, now: number): Promise<Operator> {
  const id = newId();
  try {
    await db.transaction().execute((tx) => insertOperatorRows(tx, id, input, now));
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ApiError('OPERATOR_EXISTS', 'an operator with this username exists');
    throw error;
  }
  return (await getOperator(db, id))!;
}

export function createOperator(db: SecurityDb, input: NewOperator, now: number): Promise<Operator> {
  return insertOperator(db, input, now);
}

export async function getOperator(db: SecurityDb, id: string): Promise<Operator | undefined> {
  const row = await db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toOperator(row);
}

export async function findOperatorByUsername(
  db: SecurityDb,
  username: string,
): Promise<Operator | undefined> {
  const row = await db
    .selectFrom('operators')
    .selectAll()
    .where('username', '=', normalizeUsername(username))
    .executeTakeFirst();
  return row && toOperator(row);
}

export async function listOperators(db: SecurityDb): Promise<Operator[]> {
  const rows = await db.selectFrom('operators').selectAll().orderBy('username').execute();
  return rows.map(toOperator);
}

export async function countEnabledAdmins(db: SecurityDb): Promise<number> {
  const row = await db
    .selectFrom('operators')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled', '=', 0)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateOperator(
  db: SecurityDb,
  id: string,
  patch: { displayName?: string; email?: string | null; role?: Role; scope?: Scope; disabled?: boolean },
  now: number,
): Promise<Operator> {
  const result = await db
    .updateTable('operators')
    .set({
      ...(patch.displayName !== undefined && { display_name: patch.displayName }),
      ...(patch.email !== undefined && { email: patch.email }),
      ...(patch.role !== undefined && { role: patch.role }),
      ...(patch.scope !== undefined && {
        scope_departments: JSON.stringify(patch.scope.departments),
        scope_sites: JSON.stringify(patch.scope.sites),
      }),
      ...(patch.disabled !== undefined && { disabled: patch.disabled ? 1 : 0 }),
      updated_at: now,
    })
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new ApiError('OPERATOR_NOT_FOUND', 'no such operator');
  return (await getOperator(db, id))!;
}

export async function getPasswordHash(db: SecurityDb, operatorId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('password_credentials')
    .select('hash')
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
  return row?.hash;
}

export async function setPasswordHash(db: SecurityDb, operatorId: string, hash: string, now: number) {
  await db
    .insertInto('password_credentials')
    .values({ operator_id: operatorId, hash, changed_at: now })
    .onConflict((oc) => oc.column('operator_id').doUpdateSet({ hash, changed_at: now }))
    .execute();
}

// ---------------------------------------------------------------- login throttle

export async function lockedUntil(
  db: SecurityDb,
  username: string,
  now: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('login_throttle')
    .select('locked_until')
    .where('username', '=', normalizeUsername(username))
    .executeTakeFirst();
  const until = row?.locked_until == null ? undefined : Number(row.locked_until);
  return until !== undefined && until > now ? until : undefined;
}

/**
 * Counts one more consecutive failure and locks the username when it reaches the limit, in one
 * statement, so concurrent guesses cannot slip past the count. A lock that has run out starts a fresh
 * count. `justLocked` is true for the one failure that set the lock.
 */
export async function recordLoginFailure(
  db: SecurityDb,
  username: string,
  now: number,
  policy: { maxFailures: number; durationMs: number },
): Promise<{ failures: number; lockedUntil: number | undefined; justLocked: boolean }> {
  const name = normalizeUsername(username);
  const lockAt = policy.maxFailures;
  const until = now + policy.durationMs;
  // failures after this attempt: reset when an earlier lock has expired
  const next = sql<number>`CASE WHEN login_throttle.locked_until IS NOT NULL AND login_throttle.locked_until <= ${now} THEN 1 ELSE login_throttle.failures + 1 END`;
  const row = await db
    .insertInto('login_throttle')
    .values({
      username: name,
      failures: 1,
      locked_until: lockAt <= 1 ? until : null,
      last_failure_at: now,
    })
    .onConflict((oc) =>
      oc.column('username').doUpdateSet({
        failures: next,
        locked_until: sql<
          number | null
        >`CASE WHEN ${next} >= ${lockAt} THEN ${until} WHEN login_throttle.locked_until IS NOT NULL AND login_throttle.locked_until <= ${now} THEN NULL ELSE login_throttle.locked_until END`,
        last_failure_at: now,
      }),
    )
    .returning(['failures', 'locked_until'])
    .executeTakeFirstOrThrow();
  const failures = Number(row.failures);
  const locked = row.locked_until == null ? undefined : Number(row.locked_until);
  return { failures, lockedUntil: locked, justLocked: failures === lockAt && locked !== undefined };
}

export async function clearLoginFailures(db: SecurityDb, username: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('username', '=', normalizeUsername(username)).execute();
}

// ---------------------------------------------------------------- sessions

export type SessionStage = 'mfa' | 'enrol' | 'full';
/** How a session began: a password, or a sign-in at the OpenID Connect provider. */
export type FirstFactor = 'password' | 'oidc';

export interface StoredSession {
  idHash: string;
  operatorId: string;
  stage: SessionStage;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  source: string;
  firstFactor: FirstFactor;
}

function toSession(row: AuthSessionsTable): StoredSession {
  return {
    idHash: row.id_hash,
    operatorId: row.operator_id,
    stage: row.stage as SessionStage,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    source: row.source,
    firstFactor: row.first_factor === 'oidc' ? 'oidc' : 'password',
  };
}

/** Creates a session, removing the one it replaces (if any) in the same transaction: rotation. */
export async function createSession(
  db: SecurityDb,
  input: {
    idHash: string;
    operatorId: string;
    stage: SessionStage;
    now: number;
    expiresAt: number;
    source: string;
    firstFactor?: FirstFactor;
    replaces?: string;
  },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    if (input.replaces) await tx.deleteFrom('auth_sessions').where('id_hash', '=', input.replaces).execute();
    await tx
      .insertInto('auth_sessions')
      .values({
        id_hash: input.idHash,
        operator_id: input.operatorId,
        stage: input.stage,
        created_at: input.now,
        last_seen_at: input.now,
        expires_at: input.expiresAt,
        source: input.source,
        challenge: null,
        challenge_expires_at: null,
        first_factor: input.firstFactor ?? 'password',
      })
      .execute();
  });
}

export async function getSession(db: SecurityDb, idHash: string): Promise<StoredSession | undefined> {
  const row = await db
    .selectFrom('auth_sessions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .executeTakeFirst();
  return row && toSession(row);
}

export async function touchSession(db: SecurityDb, idHash: string, now: number): Promise<void> {
  await db.updateTable('auth_sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: SecurityDb, idHash: string): Promise<void> {
  await db.deleteFrom('auth_sessions').where('id_hash', '=', idHash).execute();
}

export async function deleteSessionsOf(db: SecurityDb, operatorId: string): Promise<void> {
  await db.deleteFrom('auth_sessions').where('operator_id', '=', operatorId).execute();
}

export async function deleteExpiredSessions(db: SecurityDb, now: number, idleMs: number): Promise<void> {
  await db
    .deleteFrom('auth_sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - idleMs)]))
    .execute();
}

export async function setSessionChallenge(
  db: SecurityDb,
  idHash: string,
  challenge: string,
  expiresAt: number,
): Promise<void> {
  await db
    .updateTable('auth_sessions')
    .set({ challenge, challenge_expires_at: expiresAt })
    .where('id_hash', '=', idHash)
    .execute();
}

/** Takes the session's pending WebAuthn challenge away, so each challenge is answered at most once. */
export async function takeSessionChallenge(
  db: SecurityDb,
  idHash: string,
  now: number,
): Promise<string | undefined> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('auth_sessions')
      .select(['challenge', 'challenge_expires_at'])
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    if (!row?.challenge) return undefined;
    const taken = await tx
      .updateTable('auth_sessions')
      .set({ challenge: null, challenge_expires_at: null })
      .where('id_hash', '=', idHash)
      .where('challenge', '=', row.challenge)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return undefined;
    return Number(row.challenge_expires_at) > now ? row.challenge : undefined;
  });
}

// ---------------------------------------------------------------- TOTP

export async function getTotp(
  db: SecurityDb,
  operatorId: string,
): Promise<{ secretEnc: string; confirmed: boolean; lastStep: number } | undefined> {
  const row = await db
    .selectFrom('totp_factors')
    .selectAll()
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
  return (
    row && { secretEnc: row.secret_enc, confirmed: row.confirmed === 1, lastStep: Number(row.last_step) }
  );
}

/** Starts (or restarts) an enrolment; refused while a confirmed factor exists. */
export async function putPendingTotp(db: SecurityDb, operatorId: string, secretEnc: string, now: number) {
  const result = await db
    .insertInto('totp_factors')
    .values({ operator_id: operatorId, secret_enc: secretEnc, confirmed: 0, last_step: -1, created_at: now })
    .onConflict((oc) =>
      oc
        .column('operator_id')
        .doUpdateSet({ secret_enc: secretEnc, last_step: -1, created_at: now })
        .where('totp_factors.confirmed', '=', 0),
    )
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 1n) === 0)
    throw new ApiError('TOTP_ALREADY_ENROLLED', 'a TOTP authenticator is already enrolled');
}

/** Accepts a time step once: confirms a pending factor, and refuses any step at or before the last. */
export async function acceptTotpStep(
  db: SecurityDb,
  operatorId: string,
  step: number,
  confirm: boolean,
): Promise<boolean> {
  const result = await db
    .updateTable('totp_factors')
    .set({ last_step: step, ...(confirm && { confirmed: 1 }) })
    .where('operator_id', '=', operatorId)
    .where('last_step', '<', step)
    .where('confirmed', '=', confirm ? 0 : 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// ---------------------------------------------------------------- WebAuthn

export interface StoredWebauthnCredential {
  id: string;
  operatorId: string;
  publicKey: string;
  counter: number;
  transports: string[];
  name: string;
}

export async function addWebauthnCredential(
  db: SecurityDb,
  credential: StoredWebauthnCredential,
  now: number,
): Promise<void> {
  await db
    .insertInto('webauthn_credentials')
    .values({
      id: credential.id,
      operator_id: credential.operatorId,
      public_key: credential.publicKey,
      counter: credential.counter,
      transports: JSON.stringify(credential.transports),
      name: credential.name,
      created_at: now,
      last_used_at: null,
    })
    .execute();
}

export async function listWebauthnCredentials(db: SecurityDb, operatorId: string) {
  const rows = await db
    .selectFrom('webauthn_credentials')
    .selectAll()
    .where('operator_id', '=', operatorId)
    .orderBy('created_at')
    .execute();
  return rows.map((row): StoredWebauthnCredential & { createdAt: number; lastUsedAt: number | null } => ({
    id: row.id,
    operatorId: row.operator_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: JSON.parse(row.transports) as string[],
    name: row.name,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at == null ? null : Number(row.last_used_at),
  }));
}

/** Moves the signature counter forward; false when another request already used this counter. */
export async function advanceWebauthnCounter(
  db: SecurityDb,
  id: string,
  previous: number,
  counter: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('webauthn_credentials')
    .set({ counter, last_used_at: now })
    .where('id', '=', id)
    .where('counter', '=', previous)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// ---------------------------------------------------------------- backup codes

export async function replaceBackupCodes(db: SecurityDb, operatorId: string, hashes: string[], now: number) {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('backup_codes').where('operator_id', '=', operatorId).execute();
    await tx
      .insertInto('backup_codes')
      .values(
        hashes.map((code_hash) => ({
          id: newId(),
          operator_id: operatorId,
          code_hash,
          used_at: null,
          created_at: now,
        })),
      )
      .execute();
  });
}

/** Marks one unused code used; true only for the one request that did it. */
export async function consumeBackupCode(db: SecurityDb, operatorId: string, hash: string, now: number) {
  const result = await db
    .updateTable('backup_codes')
    .set({ used_at: now })
    .where('operator_id', '=', operatorId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function countUnusedBackupCodes(db: SecurityDb, operatorId: string): Promise<number> {
  const row = await db
    .selectFrom('backup_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('operator_id', '=', operatorId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---------------------------------------------------------------- MFA summary and recovery

export interface MfaStatus {
  totp: boolean;
  webauthn: number;
  backupCodes: number;
}

export async function mfaStatus(db: SecurityDb, operatorId: string): Promise<MfaStatus> {
  const totp = await getTotp(db, operatorId);
  const webauthn = await db
    .selectFrom('webauthn_credentials')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('operator_id', '=', operatorId)
    .executeTakeFirstOrThrow();
  return {
    totp: totp?.confirmed === true,
    webauthn: Number(webauthn.n),
    backupCodes: await countUnusedBackupCodes(db, operatorId),
  };
}

export function hasSecondFactor(status: MfaStatus): boolean {
  return status.totp || status.webauthn > 0;
}

/** Recovery by another admin: every second factor and session goes, the lock is lifted; a new password also revokes the operator's API tokens. */
export async function resetOperatorSecurity(
  db: SecurityDb,
  operator: Operator,
  options: { resetMfa: boolean; unlock: boolean; passwordHash?: string },
  now: number,
): Promise<{ revokedTokens: string[] }> {
  return db.transaction().execute(async (tx) => {
    if (options.resetMfa) {
      await tx.deleteFrom('totp_factors').where('operator_id', '=', operator.id).execute();
      await tx.deleteFrom('webauthn_credentials').where('operator_id', '=', operator.id).execute();
      await tx.deleteFrom('backup_codes').where('operator_id', '=', operator.id).execute();
    }
    if (options.unlock)
      await tx.deleteFrom('login_throttle').where('username', '=', operator.username).execute();
    if (options.passwordHash)
      await tx
        .updateTable('password_credentials')
        .set({ hash: options.passwordHash, changed_at: now })
        .where('operator_id', '=', operator.id)
        .execute();
    await tx.deleteFrom('auth_sessions').where('operator_id', '=', operator.id).execute();
    // A new password means the old one may have been known: what was made with it goes too.
    const revokedTokens = options.passwordHash ? await revokeApiTokensOf(tx, operator.id, now) : [];
    return { revokedTokens };
  });
}

// ---------------------------------------------------------------- API tokens

export interface ApiTokenRecord {
  id: string;
  name: string;
  createdBy: string;
  role: Role;
  permissions: Permission[];
  scope: Scope | 'all';
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export async function createApiToken(
  db: SecurityDb,
  input: Omit<ApiTokenRecord, 'id' | 'revokedAt' | 'lastUsedAt'> & { tokenHash: string },
): Promise<ApiTokenRecord> {
  const id = newId();
  await db
    .insertInto('api_tokens')
    .values({
      id,
      name: input.name,
      token_hash: input.tokenHash,
      created_by: input.createdBy,
      role: input.role,
      permissions: JSON.stringify(input.permissions),
      scope: JSON.stringify(input.scope),
      created_at: input.createdAt,
      expires_at: input.expiresAt,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
  return { ...input, id, revokedAt: null, lastUsedAt: null };
}

const tokenColumns = [
  'api_tokens.id',
  'api_tokens.name',
  'api_tokens.created_by',
  'api_tokens.role',
  'api_tokens.permissions',
  'api_tokens.scope',
  'api_tokens.created_at',
  'api_tokens.expires_at',
  'api_tokens.revoked_at',
  'api_tokens.last_used_at',
] as const;

function toToken(row: {
  id: string;
  name: string;
  created_by: string;
  role: string;
  permissions: string;
  scope: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    createdBy: row.created_by,
    role: toRole(row.role),
    permissions: JSON.parse(row.permissions) as Permission[],
    scope: JSON.parse(row.scope) as Scope | 'all',
    createdAt: Number(row.created_at),
    expiresAt: row.expires_at == null ? null : Number(row.expires_at),
    revokedAt: row.revoked_at == null ? null : Number(row.revoked_at),
    lastUsedAt: row.last_used_at == null ? null : Number(row.last_used_at),
  };
}

/** A token that is not revoked or expired, with its creator as they are now (see authority.ts). */
export async function findActiveApiToken(
  db: SecurityDb,
  tokenHash: string,
  now: number,
): Promise<{ token: ApiTokenRecord; creator: Operator } | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .select(tokenColumns)
    .where('api_tokens.token_hash', '=', tokenHash)
    .where('api_tokens.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', now)]))
    .executeTakeFirst();
  if (!row) return undefined;
  const creator = await getOperator(db, row.created_by);
  return creator && { token: toToken(row), creator };
}

/** Revokes every active token an operator created; returns their ids (for the audit trail). */
export async function revokeApiTokensOf(db: SecurityDb, operatorId: string, now: number): Promise<string[]> {
  const rows = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('created_by', '=', operatorId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

export async function touchApiToken(db: SecurityDb, id: string, now: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

export async function listApiTokens(db: SecurityDb): Promise<ApiTokenRecord[]> {
  const rows = await db.selectFrom('api_tokens').select(tokenColumns).orderBy('created_at').execute();
  return rows.map(toToken);
}

export async function revokeApiToken(db: SecurityDb, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// ---------------------------------------------------------------- setup tokens

/** Replaces every unused setup token with this one. */
export async function storeSetupToken(db: SecurityDb, tokenHash: string, now: number, expiresAt: number) {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('setup_tokens').where('used_at', 'is', null).execute();
    await tx
      .insertInto('setup_tokens')
      .values({ id: newId(), token_hash: tokenHash, created_at: now, expires_at: expiresAt, used_at: null })
      .execute();
  });
}

/**
 * Consumes a setup token and creates the first admin in one transaction: the token works once, only
 * before it expires, and only while no admin exists.
 */
export async function consumeSetupTokenForAdmin(
  db: SecurityDb,
  tokenHash: string,
  admin: NewOperator,
  now: number,
): Promise<Operator> {
  const id = await db.transaction().execute(async (tx) => {
    const used = await tx
      .updateTable('setup_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1)
      throw new ApiError('SETUP_TOKEN_INVALID', 'setup token invalid or used');
    const admins = await tx
      .selectFrom('operators')
      .select('id')
      .where('role', '=', 'admin')
      .limit(1)
      .executeTakeFirst();
    if (admins) throw new ApiError('SETUP_ALREADY_DONE', 'an administrator already exists');
    const operatorId = newId();
    // The first administrator: unscoped, whatever the request said.
    const { scope: _scope, ...unscoped } = admin;
    await insertOperatorRows(tx, operatorId, { ...unscoped, role: 'admin' }, now);
    return operatorId;
  });
  return (await getOperator(db, id))!;
}

export async function adminExists(db: SecurityDb): Promise<boolean> {
  const row = await db
    .selectFrom('operators')
    .select('id')
    .where('role', '=', 'admin')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

// ---------------------------------------------------------------- known login addresses

/** Remembers where an operator logged in from; `isNew` when this address was not seen before. */
export async function noteLoginAddress(
  db: SecurityDb,
  operatorId: string,
  address: string,
  now: number,
): Promise<{ isNew: boolean; firstLogin: boolean }> {
  return db.transaction().execute(async (tx) => {
    const known = await tx
      .selectFrom('operator_addresses')
      .select('address')
      .where('operator_id', '=', operatorId)
      .execute();
    const isNew = !known.some((row) => row.address === address);
    await tx
      .insertInto('operator_addresses')
      .values({ operator_id: operatorId, address, first_seen: now, last_seen: now })
      .onConflict((oc) => oc.columns(['operator_id', 'address']).doUpdateSet({ last_seen: now }))
      .execute();
    return { isNew, firstLogin: known.length === 0 };
  });
}
