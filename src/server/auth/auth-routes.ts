// /api/auth/*: first-admin setup, login (password, then TOTP, passkey or backup code) and the
// password change (the session and logout: session-routes.ts, MFA enrolment: mfa-routes.ts, API
// tokens: token-routes.ts, rows of the one route table).
// Every outcome is audited; no response or log line carries a password, code, secret or token except
// the one response that issues it.

import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SlidingLimit } from '../alarms/detectors.ts';
import { ApiError } from '../http/errors.ts';
import { BIDI_CONTROLS } from '../storage/text.ts';
import { backupCodeHash } from './backup-codes.ts';
import { audit, parse, sessionAt } from './http.ts';
import { completeLogin as finishLogin, publicOperator } from './login.ts';
import {
  checkPasswordPolicy,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  verifyAgainstDummy,
  verifyPassword,
} from './passwords.ts';
import type { SecurityServices } from './plugin.ts';
import { sha256Hex } from './secrets.ts';
import { endSession, issueSession, type ResolvedSession } from './sessions.ts';
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

export const API_TOKEN_PREFIX = 'mbn_';

const username = z.string().trim().min(1).max(64);
const password = z
  .string()
  .min(1)
  .max(MAX_PASSWORD_LENGTH * 4);
export const usernameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}._@-]+$/u, 'letters, digits and . _ @ - only');

/** Shown to other operators and in the audit trail: one line, no control or bidirectional characters. */
export const displayNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !/[\p{Cc}]/u.test(s) && !BIDI_CONTROLS.test(s), 'must not contain control characters');

const loginBody = z.object({ username, password }).strict();
const codeBody = z.object({ code: z.string().trim().min(1).max(32) }).strict();
const setupBody = z
  .object({
    token: z.string().min(1).max(200),
    username: usernameSchema,
    password,
    displayName: displayNameSchema.optional(),
    email: z.email().max(254).optional(),
  })
  .strict();
const passwordChangeBody = z.object({ currentPassword: password, newPassword: password }).strict();
const credentialResponse = z
  .object({
    id: z.string().min(1).max(1024),
    rawId: z.string().max(1024),
    type: z.literal('public-key'),
    response: z.record(z.string(), z.unknown()),
  })
  .loose();
const authVerifyBody = z.object({ response: credentialResponse }).strict();

export { publicOperator };

export const authRoutes: FastifyPluginAsync<{ services: SecurityServices }> = async (app, { services }) => {
  const { ctx, box, alarms } = services;
  const { db, settings } = ctx;
  const attempts = new SlidingLimit(settings.loginRateLimit.perAddress, settings.loginRateLimit.windowMs);

  // Every password or second-factor attempt costs an argon2 hash or a lockout count: limit them per
  // source address, whatever the username, before any work is done.
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (request.method !== 'POST' || !/^\/api\/auth\/(login(\/.*)?|setup)$/.test(path)) return;
    if (!attempts.allow(request.ip, ctx.clock.now()))
      throw new ApiError('RATE_LIMITED', 'too many login attempts from this address; wait a minute', {
        retryAfterSeconds: Math.ceil(settings.loginRateLimit.windowMs / 1000),
      });
  });

  async function loginFailed(
    request: FastifyRequest,
    name: string,
    operator: Operator | undefined,
    factor: string,
  ) {
    const now = ctx.clock.now();
    const result = await recordLoginFailure(db, name, now, settings.lockout);
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

  function lockedError(until: number): ApiError {
    const retryAfterSeconds = Math.max(1, Math.ceil((until - ctx.clock.now()) / 1000));
    return new ApiError('LOGIN_LOCKED', 'too many failed attempts; try again later', { retryAfterSeconds });
  }

  function completeLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    operator: Operator,
    method: string,
    extra: Record<string, unknown> = {},
    stepUp?: ResolvedSession,
  ) {
    return finishLogin(services, request, reply, { operator, method, extra, stepUp });
  }

  // ------------------------------------------------------------ setup

  app.post('/api/auth/setup', async (request, reply) => {
    const body = parse(setupBody, request.body);
    const problem = checkPasswordPolicy(body.password, {
      username: body.username,
      email: body.email ?? null,
    });
    if (problem) throw new ApiError(problem, 'password does not meet the policy');
    const operator = await consumeSetupTokenForAdmin(
      db,
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
    return reply
      .code(201)
      .send({ operator: publicOperator(operator), next: 'log in, then enrol a second factor' });
  });

  // ------------------------------------------------------------ login

  app.post('/api/auth/login', async (request, reply) => {
    const body = parse(loginBody, request.body);
    const name = normalizeUsername(body.username);
    const locked = await lockedUntil(db, name, ctx.clock.now());
    if (locked !== undefined) {
      await audit(ctx, request, 'login.refused_locked', `operator:${name}`, {}, 'anonymous');
      throw lockedError(locked);
    }
    const operator = await findOperatorByUsername(db, name);
    const hash = operator && !operator.disabled ? await getPasswordHash(db, operator.id) : undefined;
    const ok = hash ? await verifyPassword(hash, body.password) : await verifyAgainstDummy(body.password);
    if (!ok || !operator || operator.disabled) {
      await loginFailed(request, name, operator, 'password');
      throw new ApiError('LOGIN_FAILED', 'username or password is wrong');
    }
    const mfa = await mfaStatus(db, operator.id);
    if (!hasSecondFactor(mfa) && !(operator.role === 'admin' && settings.requireAdminMfa))
      return completeLogin(request, reply, operator, 'password');
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
          ...(mfa.totp ? ['totp'] : []),
          ...(mfa.webauthn > 0 ? ['webauthn'] : []),
          ...(mfa.backupCodes > 0 ? ['backup_code'] : []),
        ],
      }),
    };
  });

  /** Runs one second-factor check for a session waiting for it; failures count towards the lockout. */
  async function secondFactor(
    request: FastifyRequest,
    reply: FastifyReply,
    method: string,
    check: (operator: Operator) => Promise<Record<string, unknown> | false>,
  ) {
    const session = sessionAt(request, ['mfa']);
    const { operator } = session;
    const locked = await lockedUntil(db, operator.username, ctx.clock.now());
    if (locked !== undefined) {
      await endSession(ctx, request, reply);
      throw lockedError(locked);
    }
    const result = await check(operator);
    if (result === false) {
      const failure = await loginFailed(request, operator.username, operator, method);
      if (failure.lockedUntil !== undefined && failure.lockedUntil > ctx.clock.now())
        await endSession(ctx, request, reply);
      throw new ApiError('SECOND_FACTOR_FAILED', 'second factor not accepted');
    }
    return completeLogin(request, reply, operator, `${session.firstFactor}+${method}`, result, session);
  }

  app.post('/api/auth/login/totp', async (request, reply) => {
    const { code } = parse(codeBody, request.body);
    return secondFactor(request, reply, 'totp', async (operator) => {
      const factor = await getTotp(db, operator.id);
      if (!factor?.confirmed) return false;
      const step = await checkTotp(box.decrypt(factor.secretEnc), code, ctx.clock.now(), factor.lastStep);
      return step !== undefined && (await acceptTotpStep(db, operator.id, step, false)) ? {} : false;
    });
  });

  app.post('/api/auth/login/backup-code', async (request, reply) => {
    const { code } = parse(codeBody, request.body);
    return secondFactor(request, reply, 'backup_code', async (operator) => {
      const used = await consumeBackupCode(
        db,
        operator.id,
        backupCodeHash(box, operator.id, code),
        ctx.clock.now(),
      );
      return used ? { backupCodesLeft: await countUnusedBackupCodes(db, operator.id) } : false;
    });
  });

  app.post('/api/auth/login/webauthn/options', async (request) => {
    const session = sessionAt(request, ['mfa']);
    const credentials = await listWebauthnCredentials(db, session.operator.id);
    if (credentials.length === 0) throw new ApiError('SECOND_FACTOR_FAILED', 'no passkey enrolled');
    const options = await authenticationOptions(settings.webauthn, credentials);
    await setSessionChallenge(db, session.idHash, options.challenge, ctx.clock.now() + CHALLENGE_TTL_MS);
    return options;
  });

  app.post('/api/auth/login/webauthn/verify', async (request, reply) => {
    const { response } = parse(authVerifyBody, request.body);
    return secondFactor(request, reply, 'webauthn', async (operator) => {
      const challenge = await takeSessionChallenge(db, request.authSession!.idHash, ctx.clock.now());
      const credential = (await listWebauthnCredentials(db, operator.id)).find((c) => c.id === response.id);
      if (!challenge || !credential) return false;
      try {
        const counter = await verifyAuthentication(
          settings.webauthn,
          response as unknown as AuthenticationResponseJSON,
          challenge,
          credential,
        );
        return (await advanceWebauthnCounter(db, credential.id, credential.counter, counter, ctx.clock.now()))
          ? { credential: credential.name }
          : false;
      } catch {
        return false;
      }
    });
  });

  app.post('/api/auth/password', async (request, reply) => {
    const session = sessionAt(request, ['full']);
    const body = parse(passwordChangeBody, request.body);
    // Guessing the current password here is guessing the login: the same per-address limit, the same
    // count and lockout (a stolen session must not become an unlimited password oracle).
    if (!attempts.allow(request.ip, ctx.clock.now()))
      throw new ApiError('RATE_LIMITED', 'too many attempts from this address; wait a minute', {
        retryAfterSeconds: Math.ceil(settings.loginRateLimit.windowMs / 1000),
      });
    const locked = await lockedUntil(db, session.operator.username, ctx.clock.now());
    if (locked !== undefined) {
      await audit(ctx, request, 'password.change_refused_locked', `operator:${session.operator.username}`);
      throw lockedError(locked);
    }
    const hash = await getPasswordHash(db, session.operator.id);
    if (!hash || !(await verifyPassword(hash, body.currentPassword))) {
      await audit(ctx, request, 'password.change_failed', `operator:${session.operator.username}`);
      await loginFailed(request, session.operator.username, session.operator, 'password_change');
      throw new ApiError('LOGIN_FAILED', 'current password is wrong');
    }
    await clearLoginFailures(db, session.operator.username);
    const problem = checkPasswordPolicy(body.newPassword, session.operator);
    if (problem) throw new ApiError(problem, 'password does not meet the policy');
    await setPasswordHash(db, session.operator.id, await hashPassword(body.newPassword), ctx.clock.now());
    // Every other session of this operator ends; this one continues under a new id.
    await deleteSessionsOf(db, session.operator.id);
    const csrfToken = await issueSession(ctx, request, reply, session.operator, 'full');
    await audit(ctx, request, 'password.change', `operator:${session.operator.username}`);
    return { changed: true, csrfToken };
  });
};
