// /api/auth sign-in: first-admin setup, login (password, then TOTP, passkey or backup code) and the
// password change; endpoints of the one route table (src/server/api/routes.ts), beside the session
// and logout (session-routes.ts), MFA enrolment (mfa-routes.ts), API tokens (token-routes.ts) and
// single sign-on (oidc-routes.ts). Setup, login and the second factors count against the
// per-address login limit before anything else (`loginLimit`, auth/login-limit.ts); the password
// change counts once the session is known. The second factors and the password change answer the
// caller's browser session (`session`: 401 without one), at the stage each accepts.
// Every outcome is audited; no response or log line carries a password, code, secret or token except
// the one response that issues it.

import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { ApiError } from '../http/errors.ts';
import { backupCodeHash } from './backup-codes.ts';
import { audit, sessionAt } from './http.ts';
import { completeLogin, publicOperator } from './login.ts';
import { checkPasswordPolicy, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import type { SecurityServices } from './plugin.ts';
import { displayNameSchema, operatorSchema, passwordInput, usernameSchema } from './schemas.ts';
import { sha256Hex } from './secrets.ts';
import { endSession, issueSession } from './sessions.ts';
import {
  acceptTotpStep,
  advanceWebauthnCounter,
  clearLoginFailures,
  consumeBackupCode,
  consumeSetupTokenForAdmin,
  countUnusedBackupCodes,
  deleteSessionsOf,
  findOperatorByUsername,
  getPasswordHash,
  getTotp,
  hasSecondFactor,
  listWebauthnCredentials,
  lockedUntil,
  mfaStatus,
  normalizeUsername,
  type Operator,
  recordLoginFailure,
  type SessionStage,
  setPasswordHash,
  setSessionChallenge,
  takeSessionChallenge,
} from './store.ts';
import { checkTotp } from './totp.ts';
import { authenticationOptions, CHALLENGE_TTL_MS, verifyAuthentication } from './webauthn.ts';

const loginBody = z.strictObject({ username: z.string().trim().min(1).max(64), password: passwordInput });
const codeBody = z.strictObject({ code: z.string().trim().min(1).max(32) });
const setupBody = z.strictObject({
  token: z.string().min(1).max(200).meta({ format: 'password', description: 'the one-time setup token' }),
  username: usernameSchema,
  password: passwordInput,
  displayName: displayNameSchema.optional(),
  email: z.email().max(254).optional(),
});
const passwordChangeBody = z.strictObject({ currentPassword: passwordInput, newPassword: passwordInput });
const credentialResponse = z
  .object({
    id: z.string().min(1).max(1024),
    rawId: z.string().max(1024),
    type: z.literal('public-key'),
    response: z.record(z.string(), z.unknown()),
  })
  .loose();
const authVerifyBody = z.strictObject({ response: credentialResponse });

const loginAnswer = z
  .object({
    stage: z.enum(['full', 'mfa', 'enrol']),
    csrfToken: z.string().meta({ description: 'send as X-CSRF-Token with state-changing requests' }),
    operator: operatorSchema,
    secondFactors: z.array(z.enum(['totp', 'webauthn', 'backup_code'])).optional(),
  })
  .meta({ id: 'LoginAnswer' });

/** A failed password or second factor: counted towards the lockout, audited, and alarmed on bursts. */
async function loginFailed(
  { ctx, alarms }: SecurityServices,
  request: FastifyRequest,
  name: string,
  operator: Operator | undefined,
  factor: string,
) {
  const now = ctx.clock.now();
  const result = await recordLoginFailure(ctx.db, name, now, ctx.settings.lockout);
  await audit(
    ctx,
    request,
    'login.failure',
    `operator:${name}`,
    { factor, failures: result.failures, knownOperator: operator !== undefined },
    operator?.id ?? 'anonymous',
  );
  await alarms.loginFailed();
  if (result.justLocked && result.lockedUntil !== undefined) {
    await audit(
      ctx,
      request,
      'login.locked_out',
      `operator:${name}`,
      { until: result.lockedUntil },
      operator?.id ?? 'anonymous',
    );
    await alarms.accountLocked(name, result.lockedUntil);
  }
  return result;
}

function lockedError(services: SecurityServices, until: number): ApiError {
  const retryAfterSeconds = Math.max(1, Math.ceil((until - services.ctx.clock.now()) / 1000));
  return new ApiError('LOGIN_LOCKED', 'too many failed attempts; try again later', { retryAfterSeconds });
}

// ------------------------------------------------------------ setup

const setup = endpoint({
  operationId: 'setupFirstAdmin',
  summary: 'Create the first administrator with the one-time setup token',
  loginLimit: true,
  body: setupBody,
  status: 201,
  response: z.object({ operator: operatorSchema, next: z.string() }),
  errors: [401],
  handle: async ({ security: { ctx }, body, request }) => {
    const problem = checkPasswordPolicy(body.password, {
      username: body.username,
      email: body.email ?? null,
    });
    if (problem) throw new ApiError(problem, 'password does not meet the policy');
    const operator = await consumeSetupTokenForAdmin(
      ctx.db,
      sha256Hex(body.token),
      {
        username: body.username,
        email: body.email ?? null,
        ...(body.displayName && { displayName: body.displayName }),
        role: 'admin',
        passwordHash: await hashPassword(body.password),
      },
      ctx.clock.now(),
    ).catch(async (error: unknown) => {
      if (error instanceof ApiError)
        await audit(ctx, request, 'setup.failure', 'setup', { code: error.code }, 'anonymous');
      throw error;
    });
    await audit(
      ctx,
      request,
      'setup.first_admin',
      `operator:${operator.username}`,
      { operatorId: operator.id },
      'setup-token',
    );
    return { operator: publicOperator(operator), next: 'log in, then enrol a second factor' };
  },
});

// ------------------------------------------------------------ login

const login = endpoint({
  operationId: 'login',
  summary: 'Log in with username and password',
  halfSession: true,
  description:
    'Sets the session cookie. `stage` says what comes next: a second factor (`mfa`), enrolling one (`enrol`), or nothing (`full`).',
  loginLimit: true,
  body: loginBody,
  response: loginAnswer,
  errors: [401, 403],
  handle: async ({ security: services, body, request, reply }) => {
    const { ctx } = services;
    const { db, settings } = ctx;
    const name = normalizeUsername(body.username);
    const locked = await lockedUntil(db, name, ctx.clock.now());
    if (locked !== undefined) {
      await audit(ctx, request, 'login.refused_locked', `operator:${name}`, {}, 'anonymous');
      throw lockedError(services, locked);
    }
    const operator = await findOperatorByUsername(db, name);
    const hash = operator && !operator.disabled ? await getPasswordHash(db, operator.id) : undefined;
    const ok = hash ? await verifyPassword(hash, body.password) : await verifyAgainstDummy(body.password);
    if (!ok || !operator || operator.disabled) {
      await loginFailed(services, request, name, operator, 'password');
      throw new ApiError('LOGIN_FAILED', 'username or password is wrong');
    }
    const mfa = await mfaStatus(db, operator.id);
    if (!hasSecondFactor(mfa) && !(operator.role === 'admin' && settings.requireAdminMfa))
      return completeLogin(services, request, reply, { operator, method: 'password' });
    const stage: SessionStage = hasSecondFactor(mfa) ? 'mfa' : 'enrol';
    if (stage === 'enrol') await clearLoginFailures(db, name);
    const csrfToken = await issueSession(ctx, request, reply, operator, stage);
    await audit(ctx, request, 'login.password_accepted', `operator:${name}`, { next: stage }, operator.id);
    return {
      stage,
      csrfToken,
      operator: publicOperator(operator),
      ...(stage === 'mfa' && {
        secondFactors: [
          ...(mfa.totp ? ['totp' as const] : []),
          ...(mfa.webauthn > 0 ? ['webauthn' as const] : []),
          ...(mfa.backupCodes > 0 ? ['backup_code' as const] : []),
        ],
      }),
    };
  },
});

/** Runs one second-factor check for a session waiting for it; failures count towards the lockout. */
async function secondFactor(
  services: SecurityServices,
  request: FastifyRequest,
  reply: FastifyReply,
  method: string,
  check: (operator: Operator) => Promise<Record<string, unknown> | false>,
) {
  const { ctx } = services;
  const session = sessionAt(request, ['mfa']);
  const { operator } = session;
  const locked = await lockedUntil(ctx.db, operator.username, ctx.clock.now());
  if (locked !== undefined) {
    await endSession(ctx, request, reply);
    throw lockedError(services, locked);
  }
  const result = await check(operator);
  if (result === false) {
    const failure = await loginFailed(services, request, operator.username, operator, method);
    if (failure.lockedUntil !== undefined && failure.lockedUntil > ctx.clock.now())
      await endSession(ctx, request, reply);
    throw new ApiError('SECOND_FACTOR_FAILED', 'second factor not accepted');
  }
  return completeLogin(services, request, reply, {
    operator,
    method: `${session.firstFactor}+${method}`,
    extra: result,
    stepUp: session,
  });
}

/** What the second-factor rows share: a session waiting for it (a half one), the login limit. */
const SECOND_FACTOR = { session: true, loginLimit: true, halfSession: true } as const;

const loginTotp = endpoint({
  ...SECOND_FACTOR,
  operationId: 'loginTotp',
  summary: 'Second factor: a TOTP code',
  body: codeBody,
  response: loginAnswer,
  handle: async ({ security: services, body: { code }, request, reply }) => {
    const { ctx, box } = services;
    return secondFactor(services, request, reply, 'totp', async (operator) => {
      const factor = await getTotp(ctx.db, operator.id);
      if (!factor?.confirmed) return false;
      const step = await checkTotp(box.decrypt(factor.secretEnc), code, ctx.clock.now(), factor.lastStep);
      return step !== undefined && (await acceptTotpStep(ctx.db, operator.id, step, false)) ? {} : false;
    });
  },
});

const loginBackupCode = endpoint({
  ...SECOND_FACTOR,
  operationId: 'loginBackupCode',
  summary: 'Second factor: a one-time backup code',
  body: codeBody,
  response: loginAnswer,
  handle: async ({ security: services, body: { code }, request, reply }) => {
    const { ctx, box } = services;
    return secondFactor(services, request, reply, 'backup_code', async (operator) => {
      const used = await consumeBackupCode(
        ctx.db,
        operator.id,
        backupCodeHash(box, operator.id, code),
        ctx.clock.now(),
      );
      return used ? { backupCodesLeft: await countUnusedBackupCodes(ctx.db, operator.id) } : false;
    });
  },
});

const loginPasskeyOptions = endpoint({
  ...SECOND_FACTOR,
  operationId: 'loginPasskeyOptions',
  summary: 'Second factor: options for a passkey assertion',
  response: z.record(z.string(), z.unknown()).meta({ description: 'WebAuthn assertion options' }),
  handle: async ({ security: { ctx }, request }) => {
    const session = sessionAt(request, ['mfa']);
    const credentials = await listWebauthnCredentials(ctx.db, session.operator.id);
    if (credentials.length === 0) throw new ApiError('SECOND_FACTOR_FAILED', 'no passkey enrolled');
    const options = await authenticationOptions(ctx.settings.webauthn, credentials);
    await setSessionChallenge(ctx.db, session.idHash, options.challenge, ctx.clock.now() + CHALLENGE_TTL_MS);
    return options as unknown as Record<string, unknown>;
  },
});

const loginPasskey = endpoint({
  ...SECOND_FACTOR,
  operationId: 'loginPasskey',
  summary: 'Second factor: a passkey assertion',
  body: authVerifyBody,
  response: loginAnswer,
  handle: async ({ security: services, body: { response }, request, reply }) => {
    const { ctx } = services;
    return secondFactor(services, request, reply, 'webauthn', async (operator) => {
      const challenge = await takeSessionChallenge(ctx.db, request.authSession!.idHash, ctx.clock.now());
      const credential = (await listWebauthnCredentials(ctx.db, operator.id)).find(
        (c) => c.id === response.id,
      );
      if (!challenge || !credential) return false;
      try {
        const counter = await verifyAuthentication(
          ctx.settings.webauthn,
          response as unknown as AuthenticationResponseJSON,
          challenge,
          credential,
        );
        return (await advanceWebauthnCounter(
          ctx.db,
          credential.id,
          credential.counter,
          counter,
          ctx.clock.now(),
        ))
          ? { credential: credential.name }
          : false;
      } catch {
        return false;
      }
    });
  },
});

// ------------------------------------------------------------ password change

const changePassword = endpoint({
  operationId: 'changePassword',
  summary: 'Change your password (ends your other sessions)',
  session: true,
  body: passwordChangeBody,
  response: z.object({ changed: z.boolean(), csrfToken: z.string() }),
  errors: [401, 429],
  handle: async ({ security: services, body, request, reply }) => {
    const { ctx, loginLimit } = services;
    const session = sessionAt(request, ['full']);
    // Guessing the current password here is guessing the login: the same per-address limit, the same
    // count and lockout (a stolen session must not become an unlimited password oracle).
    loginLimit.attempt('password', request.ip, 'too many attempts from this address');
    const locked = await lockedUntil(ctx.db, session.operator.username, ctx.clock.now());
    if (locked !== undefined) {
      await audit(ctx, request, 'password.change_refused_locked', `operator:${session.operator.username}`);
      throw lockedError(services, locked);
    }
    const hash = await getPasswordHash(ctx.db, session.operator.id);
    if (!hash || !(await verifyPassword(hash, body.currentPassword))) {
      await audit(ctx, request, 'password.change_failed', `operator:${session.operator.username}`);
      await loginFailed(services, request, session.operator.username, session.operator, 'password_change');
      throw new ApiError('LOGIN_FAILED', 'current password is wrong');
    }
    await clearLoginFailures(ctx.db, session.operator.username);
    const problem = checkPasswordPolicy(body.newPassword, session.operator);
    if (problem) throw new ApiError(problem, 'password does not meet the policy');
    await setPasswordHash(ctx.db, session.operator.id, await hashPassword(body.newPassword), ctx.clock.now());
    // Every other session of this operator ends; this one continues under a new id.
    await deleteSessionsOf(ctx.db, session.operator.id);
    const csrfToken = await issueSession(ctx, request, reply, session.operator, 'full');
    await audit(ctx, request, 'password.change', `operator:${session.operator.username}`);
    return { changed: true, csrfToken };
  },
});

export const authEndpoints = {
  setup,
  login,
  loginTotp,
  loginBackupCode,
  loginPasskeyOptions,
  loginPasskey,
  changePassword,
};
