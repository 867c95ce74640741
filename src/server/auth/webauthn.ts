// WebAuthn passkeys as an administrator's second factor (@simplewebauthn/server). Challenges live in
// the session row for five minutes and are taken away when answered, so each is used at most once.

import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { ApiError } from '../http/errors.ts';
import type { SecuritySettings } from './context.ts';
import type { StoredWebauthnCredential } from './store.ts';

export const CHALLENGE_TTL_MS = 5 * 60_000;

export function registrationOptions(
  settings: SecuritySettings['webauthn'],
  operator: { id: string; username: string; displayName: string },
  existing: StoredWebauthnCredential[],
) {
  return generateRegistrationOptions({
    rpName: settings.rpName,
    rpID: settings.rpId,
    userName: operator.username,
    userDisplayName: operator.displayName,
    userID: new TextEncoder().encode(operator.id),
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    timeout: CHALLENGE_TTL_MS,
  });
}

export async function verifyRegistration(
  settings: SecuritySettings['webauthn'],
  response: RegistrationResponseJSON,
  challenge: string,
): Promise<{ id: string; publicKey: string; counter: number; transports: string[] }> {
  let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    result = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: settings.origins,
      expectedRPID: settings.rpId,
      requireUserVerification: false,
    });
  } catch {
    throw new ApiError('WEBAUTHN_VERIFICATION_FAILED', 'passkey registration could not be verified');
  }
  if (!result.verified)
    throw new ApiError('WEBAUTHN_VERIFICATION_FAILED', 'passkey registration could not be verified');
  const { credential } = result.registrationInfo;
  return {
    id: credential.id,
    publicKey: Buffer.from(credential.publicKey).toString('base64url'),
    counter: credential.counter,
    transports: credential.transports ?? [],
  };
}

export function authenticationOptions(
  settings: SecuritySettings['webauthn'],
  credentials: StoredWebauthnCredential[],
) {
  return generateAuthenticationOptions({
    rpID: settings.rpId,
    allowCredentials: credentials.map((c) => ({ id: c.id, transports: c.transports })),
    userVerification: 'preferred',
    timeout: CHALLENGE_TTL_MS,
  });
}

/** The credential's new signature counter when the assertion is valid; throws otherwise. */
export async function verifyAuthentication(
  settings: SecuritySettings['webauthn'],
  response: AuthenticationResponseJSON,
  challenge: string,
  credential: StoredWebauthnCredential,
): Promise<number> {
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: settings.origins,
      expectedRPID: settings.rpId,
      credential: {
        id: credential.id,
        publicKey: new Uint8Array(Buffer.from(credential.publicKey, 'base64url')),
        counter: credential.counter,
        transports: credential.transports as never,
      },
      requireUserVerification: false,
    });
    if (result.verified) return result.authenticationInfo.newCounter;
  } catch {
    // fall through: one answer for every kind of failure
  }
  throw new ApiError('SECOND_FACTOR_FAILED', 'second factor not accepted');
}
