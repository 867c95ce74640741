// `monban admin create | recover | setup-token | sso-link`: administrator accounts from the server's
// own shell.
// Whoever can run this on the server host already holds the database, so it is the recovery path of
// last resort (a locked-out last admin). Passwords are read without echo from a terminal, or from
// stdin when it is a pipe; they are never accepted as command-line arguments (those end up in shell
// history and `ps`), and never printed.

import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { recordAudit } from '../../server/audit/store.ts';
import { securityDb, storageView } from '../../server/auth/context.ts';
import { deleteOidcLink, setOidcLink } from '../../server/auth/oidc-store.ts';
import { checkPasswordPolicy, hashPassword } from '../../server/auth/passwords.ts';
import { ensureFirstAdminSetup } from '../../server/auth/setup.ts';
import { createOperator, findOperatorByUsername, resetOperatorSecurity } from '../../server/auth/store.ts';
import { serverConfig } from '../../server/config.ts';
import { ROLES, type Role } from '../../server/http/principal.ts';
import { chainKeys } from '../../server/storage/chain.ts';
import { openStore } from '../../server/storage/db.ts';
import { installationKeyFor } from '../../server/storage/installation-key.ts';
import { readHidden } from '../hidden-input.ts';

export interface AdminCommandIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** prompts and messages (stderr, so stdout stays clean for scripts) */
  prompt: (text: string) => void;
  out: (line: string) => void;
}

const defaultIO: AdminCommandIO = {
  stdin: process.stdin,
  prompt: (text) => process.stderr.write(text),
  out: (line) => console.log(line),
};

/** Lines piped to stdin, one per call: each prompt takes the next line (without its line end). */
function pipedLines(io: AdminCommandIO): (question: string) => Promise<string | undefined> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY })[
    Symbol.asyncIterator
  ]();
  return async (question) => {
    io.prompt(question);
    const next = await lines.next();
    io.prompt('\n');
    return next.done ? undefined : next.value;
  };
}

/**
 * The new password: asked twice without echo at a terminal; from a pipe, one line per prompt (the
 * password, then optionally the same again: a repeat that differs is refused, a missing one is fine
 * for scripts that pipe it once).
 */
export async function readNewPassword(io: AdminCommandIO): Promise<string> {
  if (!io.stdin.isTTY) {
    const ask = pipedLines(io);
    const first = await ask('New password: ');
    if (first === undefined || first === '') throw new Error('no password on stdin');
    const second = await ask('Repeat it: ');
    if (second !== undefined && second !== first) throw new Error('the two passwords differ');
    return first;
  }
  const first = await readHidden(io, 'New password: ');
  const second = await readHidden(io, 'Repeat it: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

interface StoreOptions {
  dataDir?: string;
  databaseUrl?: string;
}

async function withStore<T>(
  options: StoreOptions,
  run: (db: ReturnType<typeof securityDb>, auditKey: Buffer) => Promise<T>,
): Promise<T> {
  const config = serverConfig(process.env, options);
  const store = await openStore(config.location);
  try {
    return await run(securityDb(store.db), chainKeys(installationKeyFor(config)).audit);
  } finally {
    await store.close();
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerAdminCommand(program: Command, io: AdminCommandIO = defaultIO): void {
  const admin = program.command('admin').description('administrator accounts (run on the server host)');

  admin
    .command('create')
    .description('create an operator account (an admin by default); prompts for the password')
    .requiredOption('--username <name>', 'login name')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'admin')
    .option('--email <address>', 'email address')
    .option('--display-name <name>', 'name shown in the console')
    .option('--department <id>', 'scope of an operator (repeatable)', collect, [])
    .option('--site <id>', 'scope of an operator (repeatable)', collect, [])
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .action(
      async (
        options: StoreOptions & {
          username: string;
          role: string;
          email?: string;
          displayName?: string;
          department: string[];
          site: string[];
        },
      ) => {
        if (!(ROLES as readonly string[]).includes(options.role))
          throw new Error(`--role must be one of ${ROLES.join(', ')}`);
        const role = options.role as Role;
        if (role === 'operator' && options.department.length + options.site.length === 0)
          throw new Error('an operator needs --department or --site');
        const password = await readNewPassword(io);
        const problem = checkPasswordPolicy(password, {
          username: options.username,
          email: options.email ?? null,
        });
        if (problem) {
          // The API's own policy function and codes (src/server/auth/passwords.ts), not a copy of its rules.
          io.out(
            `refused: ${problem} (at least 12 characters, hard to guess: not a common password, word pattern or your own name)`,
          );
          process.exitCode = 1;
          return;
        }
        await withStore(options, async (db, auditKey) => {
          const operator = await createOperator(
            db,
            {
              username: options.username,
              email: options.email ?? null,
              ...(options.displayName && { displayName: options.displayName }),
              role,
              ...(role === 'operator' && { scope: { departments: options.department, sites: options.site } }),
              passwordHash: await hashPassword(password),
            },
            Date.now(),
          );
          await recordAudit(storageView(db), auditKey, {
            at: Date.now(),
            actor: 'cli',
            source: 'local',
            action: 'operator.create',
            target: `operator:${operator.username}`,
            detail: { operatorId: operator.id, role: operator.role, scope: operator.scope },
          });
          io.out(
            `created ${operator.role} ${operator.username} (${operator.id})${operator.role === 'admin' ? '; a second factor must be enrolled at first login' : ''}`,
          );
        });
      },
    );

  admin
    .command('recover')
    .description('lift a lockout, reset second factors and end sessions of an account')
    .requiredOption('--username <name>', 'login name')
    .option('--keep-mfa', 'keep the enrolled second factors')
    .option('--reset-password', 'also set a new password (prompted)')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .action(
      async (options: StoreOptions & { username: string; keepMfa?: boolean; resetPassword?: boolean }) => {
        const password = options.resetPassword ? await readNewPassword(io) : undefined;
        await withStore(options, async (db, auditKey) => {
          const operator = await findOperatorByUsername(db, options.username);
          if (!operator) {
            io.out(`no operator named ${options.username}`);
            process.exitCode = 1;
            return;
          }
          if (password !== undefined) {
            const problem = checkPasswordPolicy(password, operator);
            if (problem) {
              io.out(`refused: ${problem}: the password does not meet the policy (docs/security-model.md)`);
              process.exitCode = 1;
              return;
            }
          }
          const { revokedTokens } = await resetOperatorSecurity(
            db,
            operator,
            {
              unlock: true,
              resetMfa: !options.keepMfa,
              ...(password !== undefined && { passwordHash: await hashPassword(password) }),
            },
            Date.now(),
          );
          await recordAudit(storageView(db), auditKey, {
            at: Date.now(),
            actor: 'cli',
            source: 'local',
            action: 'operator.recover',
            target: `operator:${operator.username}`,
            detail: {
              operatorId: operator.id,
              unlock: true,
              resetMfa: !options.keepMfa,
              passwordReset: password !== undefined,
            },
          });
          for (const id of revokedTokens)
            await recordAudit(storageView(db), auditKey, {
              at: Date.now(),
              actor: 'cli',
              source: 'local',
              action: 'token.revoke',
              target: `token:${id}`,
              detail: { reason: 'password_reset', operatorId: operator.id, operator: operator.username },
            });
          io.out(
            `recovered ${operator.username}: lock lifted${options.keepMfa ? '' : ', second factors reset'}, sessions ended`,
          );
        });
      },
    );

  admin
    .command('sso-link')
    .description('link an account to its single sign-on identity (or --remove the link)')
    .requiredOption('--username <name>', 'login name')
    .option(
      '--subject <value>',
      'the identity at the provider: the value of MONBAN_OIDC_CLAIM (sub by default)',
    )
    .option('--remove', 'remove the link instead')
    .option('--issuer <url>', 'the provider (default: MONBAN_OIDC_ISSUER)')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .action(
      async (
        options: StoreOptions & { username: string; subject?: string; remove?: boolean; issuer?: string },
      ) => {
        const issuer = options.issuer ?? process.env.MONBAN_OIDC_ISSUER;
        const subject = options.subject?.trim();
        const problem = !issuer?.startsWith('https://')
          ? 'set MONBAN_OIDC_ISSUER (or --issuer) to the provider’s https:// issuer URL'
          : !options.remove && (!subject || subject.length > 255)
            ? 'give --subject (1 to 255 characters), or --remove'
            : undefined;
        if (problem) {
          io.out(`refused: ${problem}`);
          process.exitCode = 1;
          return;
        }
        await withStore(options, async (db, auditKey) => {
          const operator = await findOperatorByUsername(db, options.username);
          if (!operator) {
            io.out(`no operator named ${options.username}`);
            process.exitCode = 1;
            return;
          }
          if (options.remove) await deleteOidcLink(db, operator.id);
          else await setOidcLink(db, operator.id, { issuer: issuer!, subject: subject! }, Date.now());
          await recordAudit(storageView(db), auditKey, {
            at: Date.now(),
            actor: 'cli',
            source: 'local',
            action: options.remove ? 'operator.oidc_unlink' : 'operator.oidc_link',
            target: `operator:${operator.username}`,
            detail: { operatorId: operator.id, issuer, ...(!options.remove && { subject }) },
          });
          io.out(
            options.remove
              ? `${operator.username}: single sign-on link removed`
              : `${operator.username}: linked to ${subject} at ${issuer}`,
          );
        });
      },
    );

  admin
    .command('setup-token')
    .description('print a fresh one-time setup token while no admin exists')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .action(async (options: StoreOptions) => {
      await withStore(options, async (db) => {
        const { default: pino } = await import('pino');
        const issued = await ensureFirstAdminSetup(db, pino({ level: 'silent' }), { print: io.out });
        if (!issued) {
          io.out('an administrator exists already: use `monban admin recover` or the console');
          process.exitCode = 1;
        }
      });
    });
}
