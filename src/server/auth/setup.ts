// First start without an administrator: there is no default password. Instead a one-time setup token
// is generated, printed to the console (not to the log), and stored only as its hash. It expires, and
// a new start invalidates the previous one. POST /api/auth/setup with the token creates the first
// admin, once. The alternative is `monban admin create` on the server's own shell.

import type { FastifyBaseLogger } from 'fastify';
import type { Clock, SecurityDb } from './context.ts';
import { newSecretToken, sha256Hex } from './secrets.ts';
import { adminExists, storeSetupToken } from './store.ts';

export const SETUP_TOKEN_PREFIX = 'mbs_';

export interface SetupOptions {
  clock?: Clock;
  ttlMs?: number;
  /** where the token is shown; default: the process's stderr, never the logger */
  print?: (line: string) => void;
}

/** Returns (and prints) a fresh setup token when no admin exists; undefined when one does. */
export async function ensureFirstAdminSetup(
  db: SecurityDb,
  logger: FastifyBaseLogger,
  options: SetupOptions = {},
): Promise<{ token: string; expiresAt: number } | undefined> {
  if (await adminExists(db)) return undefined;
  const now = (options.clock ?? { now: () => Date.now() }).now();
  const expiresAt = now + (options.ttlMs ?? 24 * 3_600_000);
  const token = newSecretToken(SETUP_TOKEN_PREFIX);
  await storeSetupToken(db, sha256Hex(token), now, expiresAt);
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  print(
    [
      '',
      'No administrator exists yet. Create the first one with this one-time setup token',
      `(valid until ${new Date(expiresAt).toISOString()}, usable once):`,
      '',
      `    ${token}`,
      '',
      'POST it to /api/auth/setup, or run `monban admin create` on this host instead.',
      '',
    ].join('\n'),
  );
  logger.warn({ expiresAt }, 'no administrator exists: a one-time setup token was printed to the console');
  return { token, expiresAt };
}
