// Storage for OpenID Connect sign-in: which provider identity each operator is linked to (one per
// operator, each identity to at most one operator), and the pending sign-ins. A pending sign-in is
// taken exactly once (DELETE … RETURNING, on SQLite and PostgreSQL alike), so a replayed callback
// finds nothing.

import { sql } from 'kysely';
import { ApiError } from '../http/errors.ts';
import type { SecurityDb } from './context.ts';
import { getOperator, type Operator, toOperator } from './store.ts';

export interface OidcLink {
  issuer: string;
  subject: string;
  createdAt: number;
}

export async function getOidcLink(db: SecurityDb, operatorId: string): Promise<OidcLink | undefined> {
  const row = await db
    .selectFrom('operator_oidc_links')
    .selectAll()
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
  return row && { issuer: row.issuer, subject: row.subject, createdAt: Number(row.created_at) };
}

/** Links the operator to this identity, replacing an earlier link; refused if another operator has it. */
export async function setOidcLink(
  db: SecurityDb,
  operatorId: string,
  link: { issuer: string; subject: string },
  now: number,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const holder = await tx
      .selectFrom('operator_oidc_links')
      .select('operator_id')
      .where('issuer', '=', link.issuer)
      .where('subject', '=', link.subject)
      .executeTakeFirst();
    if (holder && holder.operator_id !== operatorId)
      throw new ApiError('OIDC_LINK_TAKEN', 'this identity is linked to another operator');
    await tx.deleteFrom('operator_oidc_links').where('operator_id', '=', operatorId).execute();
    await tx
      .insertInto('operator_oidc_links')
      .values({ operator_id: operatorId, issuer: link.issuer, subject: link.subject, created_at: now })
      .execute();
  });
}

export async function deleteOidcLink(db: SecurityDb, operatorId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('operator_oidc_links')
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The operator linked to this provider identity, if any. */
export async function findOperatorByOidcLink(
  db: SecurityDb,
  issuer: string,
  subject: string,
): Promise<Operator | undefined> {
  const row = await db
    .selectFrom('operator_oidc_links')
    .select('operator_id')
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
  return row && getOperator(db, row.operator_id);
}

/** Operators whose e-mail is this one, ignoring letter case (more than one: ambiguous, refused). */
export async function findOperatorsByEmail(db: SecurityDb, email: string): Promise<Operator[]> {
  const rows = await db
    .selectFrom('operators')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .execute();
  return rows.map(toOperator);
}

// ---------------------------------------------------------------- pending sign-ins

export interface PendingOidcLogin {
  state: string;
  nonce: string;
  verifierEnc: string;
  expiresAt: number;
}

export async function putPendingOidcLogin(
  db: SecurityDb,
  idHash: string,
  login: PendingOidcLogin,
  now: number,
): Promise<void> {
  // Expired ones go on every new start: the table holds no more than the last few minutes' sign-ins.
  await db.deleteFrom('oidc_logins').where('expires_at', '<=', now).execute();
  await db
    .insertInto('oidc_logins')
    .values({
      id_hash: idHash,
      state: login.state,
      nonce: login.nonce,
      verifier_enc: login.verifierEnc,
      created_at: now,
      expires_at: login.expiresAt,
    })
    .execute();
}

/** Takes the pending sign-in away (at most once), expired or not; the caller checks the expiry. */
export async function takePendingOidcLogin(
  db: SecurityDb,
  idHash: string,
): Promise<PendingOidcLogin | undefined> {
  const row = await db
    .deleteFrom('oidc_logins')
    .where('id_hash', '=', idHash)
    .returning(['state', 'nonce', 'verifier_enc', 'expires_at'])
    .executeTakeFirst();
  return (
    row && {
      state: row.state,
      nonce: row.nonce,
      verifierEnc: row.verifier_enc,
      expiresAt: Number(row.expires_at),
    }
  );
}
