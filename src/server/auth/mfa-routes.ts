// /api/auth MFA enrolment: a TOTP authenticator (start, confirm with a code), a passkey (options,
// register) and new backup codes. They answer the caller's browser session, not a permission: an
// admin who must enrol a second factor first (stage `enrol`) may use the enrolment routes — they say
// `halfSession`, and the security plugin lets a half session reach only such rows — and enrolling one turns
// that session into a full one. Backup codes need a full session and an enrolled factor. Every step
// is audited; the TOTP secret and the backup codes are in the one answer that issues them, nowhere
// else. Endpoints of the one route table (src/server/api/routes.ts).

import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { ApiError } from '../http/errors.ts';
import { backupCodeHash, newBackupCodes } from './backup-codes.ts';
import { audit, sessionAt } from './http.ts';
import { completeLogin } from './login.ts';
import type { SecurityServices } from './plugin.ts';
import type { ResolvedSession } from './sessions.ts';
import {
  acceptTotpStep,
  addWebauthnCredential,
  countUnusedBackupCodes,
  getTotp,
  hasSecondFactor,
  listWebauthnCredentials,
  mfaStatus,
  putPendingTotp,
  replaceBackupCodes,
  setSessionChallenge,
  takeSessionChallenge,
} from './store.ts';
import { checkTotp, newTotpSecret, totpUri } from './totp.ts';
import { CHALLENGE_TTL_MS, registrationOptions, verifyRegistration } from './webauthn.ts';

const codeBody = z.strictObject({ code: z.string().trim().min(1).max(32) });
const credentialResponse = z
  .object({
    id: z.string().min(1).max(1024),
    rawId: z.string().max(1024),
    type: z.literal('public-key'),
    response: z.record(z.string(), z.unknown()),
  })
  .loose();
const registerVerifyBody = z.strictObject({
  response: credentialResponse,
  name: z.string().trim().min(1).max(100).optional(),
});
/** WebAuthn options and the enrolment answer: shapes of the WebAuthn spec and of the login answer. */
const anyObject = z.record(z.string(), z.unknown());
const enrolledAnswer = anyObject.meta({
  description:
    '`enrolled: true`, the session `stage` and `csrfToken` (after enrolling from stage `enrol`: the full login answer), and `backupCodes` (shown once) when there were none',
});

/** After a factor was enrolled: first backup codes if none, and a half session becomes a full one. */
async function enrolled(
  services: SecurityServices,
  request: FastifyRequest,
  reply: FastifyReply,
  session: ResolvedSession,
  method: string,
) {
  const { ctx, box } = services;
  let backupCodes: string[] | undefined;
  if ((await countUnusedBackupCodes(ctx.db, session.operator.id)) === 0) {
    backupCodes = newBackupCodes();
    await replaceBackupCodes(
      ctx.db,
      session.operator.id,
      backupCodes.map((code) => backupCodeHash(box, session.operator.id, code)),
      ctx.clock.now(),
    );
    await audit(ctx, request, 'mfa.backup_codes.generated', `operator:${session.operator.username}`, {
      count: backupCodes.length,
    });
  }
  if (session.stage === 'enrol') {
    const login = await completeLogin(services, request, reply, {
      operator: session.operator,
      method: `${session.firstFactor}+${method}-enrolment`,
      extra: {},
      stepUp: session,
    });
    return { enrolled: true, ...login, ...(backupCodes && { backupCodes }) };
  }
  return {
    enrolled: true,
    stage: session.stage,
    csrfToken: session.csrfToken,
    ...(backupCodes && { backupCodes }),
  };
}

const startTotp = endpoint({
  operationId: 'startTotpEnrolment',
  summary: 'Start enrolling a TOTP authenticator',
  session: true,
  halfSession: true,
  response: z.object({
    secret: z.string(),
    uri: z.string().meta({ description: 'otpauth:// for a QR code' }),
  }),
  errors: [409],
  handle: async ({ security: { ctx, box }, request }) => {
    const session = sessionAt(request, ['full', 'enrol']);
    const existing = await getTotp(ctx.db, session.operator.id);
    if (existing?.confirmed)
      throw new ApiError('TOTP_ALREADY_ENROLLED', 'a TOTP authenticator is already enrolled');
    const secret = newTotpSecret();
    await putPendingTotp(ctx.db, session.operator.id, box.encrypt(secret), ctx.clock.now());
    await audit(ctx, request, 'mfa.totp.enrol_started', `operator:${session.operator.username}`);
    return { secret, uri: totpUri(ctx.settings.totp.issuer, session.operator.username, secret) };
  },
});

const confirmTotp = endpoint({
  operationId: 'confirmTotpEnrolment',
  summary: 'Confirm the TOTP authenticator with a code',
  session: true,
  halfSession: true,
  body: codeBody,
  response: enrolledAnswer,
  errors: [409],
  handle: async ({ body: { code }, security, request, reply }) => {
    const { ctx, box } = security;
    const session = sessionAt(request, ['full', 'enrol']);
    const factor = await getTotp(ctx.db, session.operator.id);
    if (!factor || factor.confirmed) throw new ApiError('TOTP_NOT_PENDING', 'start an enrolment first');
    const step = await checkTotp(box.decrypt(factor.secretEnc), code, ctx.clock.now(), factor.lastStep);
    if (step === undefined || !(await acceptTotpStep(ctx.db, session.operator.id, step, true))) {
      await audit(ctx, request, 'mfa.totp.enrol_failed', `operator:${session.operator.username}`);
      throw new ApiError('TOTP_CODE_INVALID', 'code does not match; check the device clock');
    }
    await audit(ctx, request, 'mfa.totp.enrolled', `operator:${session.operator.username}`);
    return enrolled(security, request, reply, session, 'totp');
  },
});

const passkeyOptions = endpoint({
  operationId: 'passkeyRegistrationOptions',
  summary: 'Options for registering a passkey',
  session: true,
  halfSession: true,
  response: anyObject.meta({ description: 'PublicKeyCredentialCreationOptionsJSON' }),
  handle: async ({ security: { ctx }, request }) => {
    const session = sessionAt(request, ['full', 'enrol']);
    const existing = await listWebauthnCredentials(ctx.db, session.operator.id);
    const options = await registrationOptions(ctx.settings.webauthn, session.operator, existing);
    await setSessionChallenge(ctx.db, session.idHash, options.challenge, ctx.clock.now() + CHALLENGE_TTL_MS);
    return options as unknown as Record<string, unknown>;
  },
});

const registerPasskey = endpoint({
  operationId: 'registerPasskey',
  summary: 'Register a passkey',
  session: true,
  halfSession: true,
  body: registerVerifyBody,
  response: enrolledAnswer,
  errors: [409],
  handle: async ({ body, security, request, reply }) => {
    const { ctx } = security;
    const session = sessionAt(request, ['full', 'enrol']);
    const challenge = await takeSessionChallenge(ctx.db, session.idHash, ctx.clock.now());
    if (!challenge) throw new ApiError('WEBAUTHN_NO_CHALLENGE', 'ask for registration options first');
    const credential = await verifyRegistration(
      ctx.settings.webauthn,
      body.response as unknown as RegistrationResponseJSON,
      challenge,
    ).catch(async (error: unknown) => {
      await audit(ctx, request, 'mfa.webauthn.enrol_failed', `operator:${session.operator.username}`);
      throw error;
    });
    await addWebauthnCredential(
      ctx.db,
      { ...credential, operatorId: session.operator.id, name: body.name ?? 'passkey' },
      ctx.clock.now(),
    );
    await audit(ctx, request, 'mfa.webauthn.enrolled', `operator:${session.operator.username}`, {
      name: body.name ?? 'passkey',
    });
    return enrolled(security, request, reply, session, 'webauthn');
  },
});

const replaceCodes = endpoint({
  operationId: 'newBackupCodes',
  summary: 'Replace your backup codes (shown once)',
  session: true,
  response: z.object({ codes: z.array(z.string()) }),
  handle: async ({ security: { ctx, box }, request }) => {
    const session = sessionAt(request, ['full']);
    if (!hasSecondFactor(await mfaStatus(ctx.db, session.operator.id)))
      throw new ApiError('MFA_ENROLMENT_REQUIRED', 'enrol TOTP or a passkey before backup codes');
    const codes = newBackupCodes();
    await replaceBackupCodes(
      ctx.db,
      session.operator.id,
      codes.map((code) => backupCodeHash(box, session.operator.id, code)),
      ctx.clock.now(),
    );
    await audit(ctx, request, 'mfa.backup_codes.generated', `operator:${session.operator.username}`, {
      count: codes.length,
    });
    return { codes };
  },
});

export const mfaEndpoints = { startTotp, confirmTotp, passkeyOptions, registerPasskey, replaceCodes };
