// Single sign-on for operators with OpenID Connect (issue 15 §4; docs/security-model.md "Single
// sign-on"). The browser goes to /api/auth/oidc/start, on to the provider, and back to
// /api/auth/oidc/callback, which maps the verified identity to an existing, enabled local operator —
// never creates one — and signs them in:
// - with MFA proven by the provider (amr/acr as configured) the session is full at once;
// - otherwise the session waits for the operator's local second factor (TOTP, passkey, backup code),
//   or for enrolling one, exactly as after a password.
// State, nonce and PKCE verifier are kept server-side for ten minutes, bound to a cookie of this
// browser, and taken once: a tampered, stale or replayed callback is refused. Every outcome is
// audited; no code, token or secret reaches an audit record or a log line (the callback's query is
// kept out of the request log). Local passwords keep working: the break-glass way in.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SlidingLimit } from '../alarms/detectors.ts';
import { ApiError, type ApiErrorCode } from '../http/errors.ts';
import { audit, parse } from './http.ts';
import { completeLogin } from './login.ts';
import { type IdentityClaims, mfaProven, OidcClient } from './oidc-client.ts';
import type { OidcSettings } from './oidc-config.ts';
import {
  findOperatorByOidcLink,
  findOperatorsByEmail,
  putPendingOidcLogin,
  takePendingOidcLogin,
} from './oidc-store.ts';
import type { SecurityServices } from './plugin.ts';
import { constantTimeEqual, newSecretToken, sha256Hex } from './secrets.ts';
import { issueSession } from './sessions.ts';
import { hasSecondFactor, lockedUntil, mfaStatus, type Operator } from './store.ts';

/** How long a started sign-in may take at the provider. */
export const OIDC_LOGIN_TTL_MS = 10 * 60_000;
/** Where the console is, and where it shows a refused sign-in (`ssoError` = the error code). */
const CONSOLE_HOME = '/';
const SIGN_IN_PAGE = '/sign-in';

const callbackQuery = z
  .object({
    code: z.string().min(1).max(4096).optional(),
    state: z.string().min(1).max(512).optional(),
    error: z.string().max(256).optional(),
  })
  .loose();

/**
 * What a failure of openid-client may say in the log: its name, code, fixed message and the OAuth
 * error code — never its `cause` or response body, which can hold what the provider sent.
 */
function safeError(error: unknown) {
  const e = error as { name?: unknown; code?: unknown; message?: unknown; error?: unknown };
  return {
    name: String(e?.name ?? 'Error'),
    ...(typeof e?.code === 'string' && { code: e.code }),
    ...(typeof e?.message === 'string' && { message: e.message.slice(0, 200) }),
    ...(typeof e?.error === 'string' && /^[\w.-]{1,64}$/.test(e.error) && { oauthError: e.error }),
  };
}

/** The request log shows the callback without its query (the authorization code is a credential). */
const withoutQuery = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: request.url.split('?')[0],
    remoteAddress: request.ip,
  }),
};

export const oidcRoutes: FastifyPluginAsync<{
  services: SecurityServices;
  settings: OidcSettings | undefined;
}> = async (app, { services, settings }) => {
  const { ctx, box, alarms } = services;
  const { db } = ctx;
  const client = settings && new OidcClient(settings);
  if (client) app.addHook('onClose', () => client.close());
  if (settings)
    ctx.logger.info(
      { issuer: settings.issuer, clientId: settings.clientId, claim: settings.claim },
      'OpenID Connect single sign-on configured',
    );
  const attempts = new SlidingLimit(
    ctx.settings.loginRateLimit.perAddress,
    ctx.settings.loginRateLimit.windowMs,
  );
  const cookieName = ctx.settings.session.secureCookie ? '__Host-monban_oidc' : 'monban_oidc';
  // Lax, not Strict: the provider sends the browser back with a cross-site navigation.
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    secure: ctx.settings.session.secureCookie,
    sameSite: 'lax' as const,
  };

  function configured(): { client: OidcClient; settings: OidcSettings } {
    if (!client || !settings) throw new ApiError('OIDC_NOT_CONFIGURED', 'single sign-on is not configured');
    return { client, settings };
  }

  function limit(request: FastifyRequest) {
    if (!attempts.allow(request.ip, ctx.clock.now()))
      throw new ApiError('RATE_LIMITED', 'too many sign-in attempts from this address; wait a minute');
  }

  async function refused(
    request: FastifyRequest,
    reply: FastifyReply,
    error: unknown,
    who: { operator?: Operator; subject?: string } = {},
  ) {
    const code: ApiErrorCode = error instanceof ApiError ? error.code : 'OIDC_LOGIN_FAILED';
    if (!(error instanceof ApiError))
      ctx.logger.warn({ err: safeError(error) }, 'OpenID Connect sign-in failed');
    await audit(
      ctx,
      request,
      'login.failure',
      who.operator ? `operator:${who.operator.username}` : `oidc:${who.subject ?? 'unknown'}`,
      { factor: 'oidc', code, ...(error instanceof ApiError && error.extra) },
      who.operator?.id ?? 'anonymous',
    );
    await alarms.loginFailed();
    reply.clearCookie(cookieName, cookieOptions);
    return reply.redirect(`${SIGN_IN_PAGE}?ssoError=${code}`, 303);
  }

  /** The local operator this verified identity is, if any may sign in. */
  async function operatorFor(claims: IdentityClaims, oidc: OidcSettings): Promise<Operator> {
    if (oidc.claim === 'email') {
      // Only an address the provider verified; and it must name exactly one operator.
      const email = claims.email;
      if (typeof email !== 'string' || claims.email_verified !== true)
        throw new ApiError('OIDC_NOT_ALLOWED', 'the provider gave no verified e-mail address', {
          reason: 'email_not_verified',
        });
      const found = await findOperatorsByEmail(db, email);
      if (found.length !== 1)
        throw new ApiError('OIDC_NOT_ALLOWED', 'no operator of this Monban has this identity', {
          reason: found.length === 0 ? 'unknown_identity' : 'ambiguous_email',
        });
      return found[0]!;
    }
    const subject = claims[oidc.claim];
    const operator =
      typeof subject === 'string' ? await findOperatorByOidcLink(db, oidc.issuer, subject) : undefined;
    if (!operator)
      throw new ApiError('OIDC_NOT_ALLOWED', 'no operator of this Monban has this identity', {
        reason: 'unknown_identity',
      });
    return operator;
  }

  // ------------------------------------------------------------ public: is SSO offered?

  app.get('/api/auth/config', async () => ({ sso: { enabled: settings !== undefined } }));

  // ------------------------------------------------------------ sign-in

  app.get('/api/auth/oidc/start', async (request, reply) => {
    const { client } = configured();
    limit(request);
    let start: Awaited<ReturnType<OidcClient['start']>>;
    try {
      start = await client.start();
    } catch (error) {
      return refused(request, reply, error instanceof ApiError ? error : unavailable(error));
    }
    const raw = newSecretToken('');
    const now = ctx.clock.now();
    await putPendingOidcLogin(
      db,
      sha256Hex(raw),
      {
        state: start.state,
        nonce: start.nonce,
        verifierEnc: box.encrypt(start.codeVerifier),
        expiresAt: now + OIDC_LOGIN_TTL_MS,
      },
      now,
    );
    reply.setCookie(cookieName, raw, { ...cookieOptions, maxAge: OIDC_LOGIN_TTL_MS / 1000 });
    return reply.redirect(start.url.href, 303);
  });

  function unavailable(error: unknown): ApiError {
    ctx.logger.warn({ err: safeError(error) }, 'OpenID Connect provider discovery failed');
    return new ApiError('OIDC_PROVIDER_UNAVAILABLE', 'the sign-in provider cannot be reached');
  }

  app.get('/api/auth/oidc/callback', { logSerializers: withoutQuery }, async (request, reply) => {
    const { client, settings: oidc } = configured();
    let subject: string | undefined;
    let operator: Operator | undefined;
    try {
      limit(request);
      const query = parse(callbackQuery, request.query);
      const raw = request.cookies?.[cookieName];
      // Taken whatever comes next: one callback per started sign-in.
      const pending = raw && raw.length <= 200 ? await takePendingOidcLogin(db, sha256Hex(raw)) : undefined;
      reply.clearCookie(cookieName, cookieOptions);
      if (!pending || pending.expiresAt <= ctx.clock.now())
        throw new ApiError('OIDC_STATE_INVALID', 'this sign-in was not started here, was used, or expired', {
          reason: pending ? 'expired' : 'unknown_or_used',
        });
      if (!query.state || !constantTimeEqual(query.state, pending.state))
        throw new ApiError('OIDC_STATE_INVALID', 'the state does not match this sign-in', {
          reason: 'state_mismatch',
        });
      if (query.error !== undefined)
        throw new ApiError('OIDC_LOGIN_FAILED', 'the provider did not sign you in', {
          providerError: /^[a-z_]{1,64}$/.test(query.error) ? query.error : 'other',
        });
      const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const claims = await client.finish(search, {
        state: pending.state,
        nonce: pending.nonce,
        codeVerifier: box.decrypt(pending.verifierEnc),
      });
      subject = typeof claims[oidc.claim] === 'string' ? (claims[oidc.claim] as string) : claims.sub;
      operator = await operatorFor(claims, oidc);
      if (operator.disabled)
        throw new ApiError('OIDC_NOT_ALLOWED', 'this operator is disabled', { reason: 'disabled' });
      const locked = await lockedUntil(db, operator.username, ctx.clock.now());
      if (locked !== undefined)
        throw new ApiError('LOGIN_LOCKED', 'too many failed attempts; try again later');
      const proof = mfaProven(claims, oidc);
      if (proof) {
        await completeLogin(services, request, reply, {
          operator,
          method: 'oidc',
          extra: { issuer: oidc.issuer, mfa: 'provider', amr: proof.amr, acr: proof.acr },
          firstFactor: 'oidc',
        });
        return reply.redirect(CONSOLE_HOME, 303);
      }
      // No proof of MFA from the provider: the operator's own second factor, or enrolling one first.
      const stage = hasSecondFactor(await mfaStatus(db, operator.id)) ? 'mfa' : 'enrol';
      await issueSession(ctx, request, reply, operator, stage, undefined, 'oidc');
      await audit(
        ctx,
        request,
        'login.oidc_accepted',
        `operator:${operator.username}`,
        { issuer: oidc.issuer, next: stage },
        operator.id,
      );
      return reply.redirect(CONSOLE_HOME, 303);
    } catch (error) {
      return refused(request, reply, error, { ...(operator && { operator }), ...(subject && { subject }) });
    }
  });
};
