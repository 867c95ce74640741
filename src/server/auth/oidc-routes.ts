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
// kept out of the request log: `secretQuery`). Local passwords keep working: the break-glass way in.
// Endpoints of the one route table (src/server/api/routes.ts): start and callback answer a browser
// navigation, so they succeed — and are refused — with a 303 (`status: 303`); each counts against the
// per-address single sign-on limit (auth/login-limit.ts) in its handler, so that a refused callback
// still lands on the sign-in page.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { endpoint, seeOther, seeOtherSchema } from '../api/endpoint.ts';
import { ApiError, type ApiErrorCode } from '../http/errors.ts';
import { audit, parse } from './http.ts';
import { completeLogin } from './login.ts';
import { type IdentityClaims, mfaProven, type OidcClient } from './oidc-client.ts';
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

/**
 * What the callback's query may be. The route takes any query (a malformed one is a refused sign-in,
 * audited and sent to the sign-in page, not a 400): this is checked in the handler.
 */
const callbackQuery = z
  .object({
    code: z.string().min(1).max(4096).optional(),
    state: z.string().min(1).max(512).optional(),
    error: z.string().max(256).optional(),
  })
  .loose();
/** The callback's query as documented (and as any query passes): what the provider sends. */
const callbackQueryDoc = z
  .object({
    code: z.unknown().optional().meta({ description: 'the authorization code', type: 'string' }),
    state: z.unknown().optional().meta({ description: 'the state of this sign-in', type: 'string' }),
    error: z.unknown().optional().meta({ description: 'the provider’s OAuth error code', type: 'string' }),
  })
  .loose();

const SSO_REFUSAL =
  'A refused sign-in also answers 303, to `/sign-in?ssoError=<code>`: OIDC_STATE_INVALID (not started in this browser, used, expired or tampered), OIDC_LOGIN_FAILED (the provider refused, or its answer did not verify), OIDC_NOT_ALLOWED (no enabled operator is linked to this identity), OIDC_PROVIDER_UNAVAILABLE, LOGIN_LOCKED, RATE_LIMITED.';

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

/** The flow cookie: bound to this browser's sign-in. Lax, not Strict: the provider sends the browser back with a cross-site navigation. */
function flowCookie({ ctx }: SecurityServices) {
  const secure = ctx.settings.session.secureCookie;
  return {
    name: secure ? '__Host-monban_oidc' : 'monban_oidc',
    options: { path: '/', httpOnly: true, secure, sameSite: 'lax' as const },
  };
}

function configured(services: SecurityServices): { client: OidcClient; settings: OidcSettings } {
  const { oidcClient: client, oidc: settings } = services;
  if (!client || !settings) throw new ApiError('OIDC_NOT_CONFIGURED', 'single sign-on is not configured');
  return { client, settings };
}

function limit(services: SecurityServices, request: FastifyRequest) {
  services.loginLimit.attempt('sso', request.ip, 'too many sign-in attempts from this address');
}

/** A refused sign-in: audited (never with what the provider sent), alarmed, to the sign-in page. */
async function refused(
  services: SecurityServices,
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  who: { operator?: Operator; subject?: string } = {},
) {
  const { ctx, alarms } = services;
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
  const cookie = flowCookie(services);
  reply.clearCookie(cookie.name, cookie.options);
  return seeOther(`${SIGN_IN_PAGE}?ssoError=${code}`);
}

function unavailable({ ctx }: SecurityServices, error: unknown): ApiError {
  ctx.logger.warn({ err: safeError(error) }, 'OpenID Connect provider discovery failed');
  return new ApiError('OIDC_PROVIDER_UNAVAILABLE', 'the sign-in provider cannot be reached');
}

/** The local operator this verified identity is, if any may sign in. */
async function operatorFor(
  { ctx: { db } }: SecurityServices,
  claims: IdentityClaims,
  oidc: OidcSettings,
): Promise<Operator> {
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

const config = endpoint({
  operationId: 'getAuthConfig',
  summary: 'How operators can sign in here (is single sign-on offered?)',
  halfSession: true,
  response: z.object({ sso: z.object({ enabled: z.boolean() }) }),
  errors: [403],
  handle: async ({ security }) => ({ sso: { enabled: security.oidc !== undefined } }),
});

// ------------------------------------------------------------ sign-in

const start = endpoint({
  operationId: 'startSingleSignOn',
  summary: 'Single sign-on: go to the OpenID Connect provider',
  halfSession: true,
  description: `A browser navigation. Sets a short-lived cookie bound to this sign-in (state, nonce and PKCE verifier are kept on the server) and redirects to the provider. ${SSO_REFUSAL}`,
  status: 303,
  response: seeOtherSchema,
  redirect: 'the provider’s authorization endpoint',
  errors: [404, 429],
  handle: async ({ security: services, request, reply }) => {
    const { ctx, box } = services;
    const { client } = configured(services);
    limit(services, request);
    let begun: Awaited<ReturnType<OidcClient['start']>>;
    try {
      begun = await client.start();
    } catch (error) {
      return refused(
        services,
        request,
        reply,
        error instanceof ApiError ? error : unavailable(services, error),
      );
    }
    const raw = newSecretToken('');
    const now = ctx.clock.now();
    await putPendingOidcLogin(
      ctx.db,
      sha256Hex(raw),
      {
        state: begun.state,
        nonce: begun.nonce,
        verifierEnc: box.encrypt(begun.codeVerifier),
        expiresAt: now + OIDC_LOGIN_TTL_MS,
      },
      now,
    );
    const cookie = flowCookie(services);
    reply.setCookie(cookie.name, raw, { ...cookie.options, maxAge: OIDC_LOGIN_TTL_MS / 1000 });
    return seeOther(begun.url.href);
  },
});

const callback = endpoint({
  operationId: 'finishSingleSignOn',
  summary: 'Single sign-on: the provider’s answer',
  halfSession: true,
  description: `Where the provider sends the browser back. Checks the answer (the state against this browser’s sign-in, taken once; the ID token by openid-client), finds the linked operator and sets a new session: full when the provider proved MFA (amr/acr as configured), else stage mfa or enrol, as after a password. ${SSO_REFUSAL}`,
  query: callbackQueryDoc,
  secretQuery: true,
  status: 303,
  response: seeOtherSchema,
  redirect: 'the console (`/`)',
  errors: [404],
  handle: async ({ security: services, request, reply }) => {
    const { ctx, box } = services;
    const { client, settings: oidc } = configured(services);
    let subject: string | undefined;
    let operator: Operator | undefined;
    try {
      limit(services, request);
      const query = parse(callbackQuery, request.query);
      const cookie = flowCookie(services);
      const raw = request.cookies?.[cookie.name];
      // Taken whatever comes next: one callback per started sign-in.
      const pending =
        raw && raw.length <= 200 ? await takePendingOidcLogin(ctx.db, sha256Hex(raw)) : undefined;
      reply.clearCookie(cookie.name, cookie.options);
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
      operator = await operatorFor(services, claims, oidc);
      if (operator.disabled)
        throw new ApiError('OIDC_NOT_ALLOWED', 'this operator is disabled', { reason: 'disabled' });
      const locked = await lockedUntil(ctx.db, operator.username, ctx.clock.now());
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
        return seeOther(CONSOLE_HOME);
      }
      // No proof of MFA from the provider: the operator's own second factor, or enrolling one first.
      const stage = hasSecondFactor(await mfaStatus(ctx.db, operator.id)) ? 'mfa' : 'enrol';
      await issueSession(ctx, request, reply, operator, stage, undefined, 'oidc');
      await audit(
        ctx,
        request,
        'login.oidc_accepted',
        `operator:${operator.username}`,
        { issuer: oidc.issuer, next: stage },
        operator.id,
      );
      return seeOther(CONSOLE_HOME);
    } catch (error) {
      return refused(services, request, reply, error, {
        ...(operator && { operator }),
        ...(subject && { subject }),
      });
    }
  },
});

export const oidcEndpoints = { config, start, callback };
