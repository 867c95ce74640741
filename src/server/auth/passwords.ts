// Password policy and hashing (R-SEC-1), after NIST SP 800-63B §5.1.1: argon2id with OWASP's
// parameters; at least 12 characters (at most 256); never the operator's own username or email; not
// on the blocklist (common passwords, keyboard walks and romaji words, with digits and symbols around
// them, letter substitutions undone, repeated); and hard enough to guess by a maintained estimator
// (zxcvbn-ts with its common, English and Japanese dictionaries: at least score 3, about 10^8
// guesses). The one policy for every place a password is set: setup, operators, password change,
// recovery and `monban admin create`.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { isWellFormedText } from '../storage/text.ts';
import { strengthEstimator } from './password-strength.ts';

export const MIN_PASSWORD_LENGTH = 12;
/** Long enough for any passphrase, short enough that hashing cannot be made into a denial of service. */
export const MAX_PASSWORD_LENGTH = 256;

const ARGON2ID = 2 as Algorithm;
const HASH_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

let blocklist: ReadonlySet<string> | undefined;
function commonPasswords(): ReadonlySet<string> {
  blocklist ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return blocklist;
}

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};

function core(value: string): string {
  return value.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
}

function isSequence(value: string): boolean {
  if (new Set(value).size <= 2) return true;
  const codes = [...value].map((c) => c.codePointAt(0)!);
  const step = codes[1]! - codes[0]!;
  return Math.abs(step) === 1 && codes.every((c, i) => i === 0 || c - codes[i - 1]! === step);
}

export type PasswordProblem =
  | 'PASSWORD_TOO_SHORT'
  | 'PASSWORD_TOO_LONG'
  | 'PASSWORD_INVALID'
  | 'PASSWORD_TOO_COMMON'
  | 'PASSWORD_TOO_WEAK'
  | 'PASSWORD_IS_USERNAME';

/** The lowest zxcvbn score accepted: 3 is "safely unguessable" (about 10^8 guesses and more). */
export const MIN_STRENGTH_SCORE = 3;

/** Why this password is refused, or undefined when it is acceptable. Never echoes the password. */
export function checkPasswordPolicy(
  password: string,
  identity: { username: string; email?: string | null },
): PasswordProblem | undefined {
  if (!isWellFormedText(password)) return 'PASSWORD_INVALID';
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return 'PASSWORD_TOO_SHORT';
  if (length > MAX_PASSWORD_LENGTH) return 'PASSWORD_TOO_LONG';
  const lower = password.normalize('NFKC').toLowerCase();
  const names = [identity.username, identity.email ?? '', (identity.email ?? '').split('@')[0] ?? '']
    .map((n) => n.normalize('NFKC').toLowerCase())
    .filter((n) => n !== '');
  const unleet = [...lower].map((c) => LEET[c] ?? c).join('');
  const candidates = new Set([lower, core(lower), unleet, core(unleet)]);
  for (const candidate of candidates) if (names.includes(candidate)) return 'PASSWORD_IS_USERNAME';
  const common = commonPasswords();
  for (const candidate of candidates)
    if (candidate === '' || common.has(candidate)) return 'PASSWORD_TOO_COMMON';
  // A common word repeated ("sakurasakura", "adminadmin12") or a plain run ("aaaaaaaaaaaa", "123456789012").
  for (const candidate of [lower, core(lower)]) {
    if (candidate.length >= 2 && isSequence(candidate)) return 'PASSWORD_TOO_COMMON';
    for (let size = 1; size <= candidate.length / 2; size++) {
      const unit = candidate.slice(0, size);
      if (
        unit.repeat(Math.ceil(candidate.length / size)).startsWith(candidate) &&
        (size < 4 || common.has(unit))
      )
        return 'PASSWORD_TOO_COMMON';
    }
  }
  // The estimate, of the password as typed and with look-alike letters undone, against the operator's
  // own names too.
  // Made of nothing but the operator's own name parts and some digits or symbols ("yamadataro2026").
  const parts = names.flatMap((n) => n.split(/[^\p{L}\p{N}]+/u)).filter((n) => n.length >= 3);
  const longestFirst = [...parts].sort((a, b) => b.length - a.length);
  for (const candidate of [lower, unleet]) {
    let letters = candidate.replace(/[^\p{L}]+/gu, '');
    for (const part of longestFirst) letters = letters.replaceAll(part, '');
    if (parts.length > 0 && letters === '') return 'PASSWORD_IS_USERNAME';
  }
  const estimator = strengthEstimator();
  const userInputs = [...new Set([...names, ...parts, 'monban', '門番'])];
  for (const candidate of new Set([password, unleet]))
    if (score(estimator, candidate, userInputs) < MIN_STRENGTH_SCORE) return 'PASSWORD_TOO_WEAK';
  return undefined;
}

function score(estimator: ZxcvbnFactory, password: string, userInputs: string[]): number {
  return estimator.check(password, userInputs).score;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, HASH_OPTIONS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Spends the same time as a real verification, for unknown or disabled operators, so the response time
 * does not tell which usernames exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hash(randomBytes(24).toString('base64url'), HASH_OPTIONS);
  await verifyPassword(await dummy, password);
  return false;
}
