// What the security half of the server needs from its surroundings: the database (with the security
// tables), a logger, a clock, the installation key, and settings with safe defaults.

import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { AlarmTables } from '../alarms/tables.ts';
import type { AnchorKeys } from '../audit/anchors.ts';
import type { Database } from '../storage/schema.ts';
import type { AuthTables } from './tables.ts';

export type SecurityDatabase = Database & AuthTables & AlarmTables;
export type SecurityDb = Kysely<SecurityDatabase>;

/** Widens the storage engineer's Kysely instance with the tables created by the security migration. */
export function securityDb(db: Kysely<Database>): SecurityDb {
  return db.withTables<AuthTables & AlarmTables>() as unknown as SecurityDb;
}

/** The same connection seen with the storage engineer's tables only (for storage/audit-log.ts). */
export function storageView(db: SecurityDb): Kysely<Database> {
  return db as unknown as Kysely<Database>;
}

export interface Clock {
  /** milliseconds since the epoch */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface SecuritySettings {
  lockout: { maxFailures: number; durationMs: number };
  session: {
    /** a session unused this long ends */
    idleMs: number;
    /** a session ends this long after login, whatever the activity */
    absoluteMs: number;
    /** Secure + __Host- cookie; turn off only for plain-HTTP development behind no proxy */
    secureCookie: boolean;
  };
  /** admins must enrol a second factor before they can do anything else */
  requireAdminMfa: boolean;
  webauthn: { rpId: string; rpName: string; origins: string[] };
  setupTokenTtlMs: number;
  /** failed logins across all accounts that raise a login_failures alarm */
  failedLoginBurst: { count: number; windowMs: number };
  /** login attempts (password and second factor) per source address; each costs an argon2 hash */
  loginRateLimit: { perAddress: number; windowMs: number };
  totp: { issuer: string };
  /** digits of the PIN-only codes the server issues (MONBAN_PIN_LENGTH, 6 to 12) */
  pinCodeLength: number;
}

export const DEFAULT_SETTINGS: SecuritySettings = {
  lockout: { maxFailures: 5, durationMs: 15 * 60_000 },
  session: { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000, secureCookie: true },
  requireAdminMfa: true,
  webauthn: { rpId: 'localhost', rpName: 'Monban', origins: ['https://localhost:8443'] },
  setupTokenTtlMs: 24 * 3_600_000,
  failedLoginBurst: { count: 20, windowMs: 5 * 60_000 },
  loginRateLimit: { perAddress: 60, windowMs: 60_000 },
  totp: { issuer: 'Monban' },
  pinCodeLength: 6,
};

export type SettingsOverrides = {
  [K in keyof SecuritySettings]?: SecuritySettings[K] extends unknown[]
    ? SecuritySettings[K]
    : Partial<SecuritySettings[K]> | SecuritySettings[K];
};

export function resolveSettings(overrides: SettingsOverrides = {}): SecuritySettings {
  const merged = { ...DEFAULT_SETTINGS } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const base = (DEFAULT_SETTINGS as unknown as Record<string, unknown>)[key];
    merged[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && typeof base === 'object'
        ? { ...(base as object), ...(value as object) }
        : value;
  }
  return merged as unknown as SecuritySettings;
}

export interface SecurityContext {
  db: SecurityDb;
  logger: FastifyBaseLogger;
  clock: Clock;
  settings: SecuritySettings;
  /** keys of the audit and event chains and of their checkpoints (audit/anchors.ts) */
  anchorKeys: AnchorKeys;
  /** the append-only checkpoint file; undefined: none kept (tests that do not need one) */
  anchorFile: string | undefined;
}
