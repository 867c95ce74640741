// TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), compatible with authenticator apps through
// an otpauth:// URI. A code is accepted for the current step or one step either side (clock skew),
// and each step only once (replay), enforced in storage.

import { generateSecret, generateURI, verify } from 'otplib';

export const TOTP_PERIOD_S = 30;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(issuer: string, account: string, secret: string): string {
  return generateURI({ issuer, label: account, secret, period: TOTP_PERIOD_S, digits: 6, algorithm: 'sha1' });
}

/** The time step the code belongs to, or undefined when it is wrong or already used (≤ lastStep). */
export async function checkTotp(
  secret: string,
  code: string,
  nowMs: number,
  lastStep: number,
): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  try {
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(nowMs / 1000),
      period: TOTP_PERIOD_S,
      epochTolerance: TOTP_PERIOD_S,
      ...(lastStep >= 0 && { afterTimeStep: lastStep }),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  } catch {
    return undefined;
  }
}
