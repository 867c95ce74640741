// The personal-data vault (R-SEC-7, R-SEC-8): protected personal attributes — what a directory tells
// us about a person beyond the name operators work with (userName, e-mail addresses, given and family
// names, external ids) — are stored sealed (AES-256-GCM) under a data key of that person's own. Data
// keys are stored wrapped under the vault key, derived from the installation key (a file outside the
// database). Erasing a person deletes their data key: every copy of their sealed attributes — in the
// database, its free pages, a backup or an export — can then no longer be read with any key that is
// left (crypto-shredding). Decommissioning the server deletes every data key and the installation key.
//
// Lookups (a SCIM filter `userName eq "…"`) go through keyed hashes (`lookup`), so the columns that
// are searched hold no personal data either.

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.ts';
import { lifecycleDb } from './tables.ts';

type Db = Kysely<Database> | Transaction<Database>;

const VERSION = 'v1';

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [VERSION, ...[iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'))].join('.');
}

/** The plaintext, or undefined when this key does not open it (wrong key, changed bytes). */
export function openSealed(key: Buffer, sealed: string, aad: string): Buffer | undefined {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || body === undefined) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  } catch {
    return undefined;
  }
}

const keyAad = (personId: string) => `monban person key v1\0${personId}`;
const dataAad = (personId: string) => `monban person data v1\0${personId}`;

export class PersonVault {
  private readonly vaultKey: Buffer;
  private readonly lookupKey: Buffer;

  constructor(installationKey: Uint8Array) {
    if (installationKey.length < 32) throw new RangeError('the installation key must be at least 32 bytes');
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', installationKey, 'monban', info, 32));
    this.vaultKey = derive('personal data vault key v1');
    this.lookupKey = derive('personal data lookup v1');
  }

  /** A keyed hash to find a record by a personal value without storing the value. */
  lookup(kind: string, value: string): string {
    return createHmac('sha256', this.lookupKey).update(kind).update('\0').update(value).digest('hex');
  }

  /** The person's data key, created on first use. */
  private async dataKey(db: Db, personId: string, now: number, create: boolean): Promise<Buffer | undefined> {
    const ldb = lifecycleDb(db);
    const row = await ldb
      .selectFrom('person_keys')
      .select('wrapped')
      .where('person_id', '=', personId)
      .executeTakeFirst();
    if (row) return openSealed(this.vaultKey, row.wrapped, keyAad(personId));
    if (!create) return undefined;
    const key = randomBytes(32);
    await ldb
      .insertInto('person_keys')
      .values({ person_id: personId, wrapped: seal(this.vaultKey, key, keyAad(personId)), created_at: now })
      .onConflict((oc) => oc.column('person_id').doNothing())
      .execute();
    // Another writer may have created it first: read back the one stored.
    return this.dataKey(db, personId, now, false);
  }

  /** Seals a value under the person's data key (created if they have none yet). */
  async seal(db: Db, personId: string, value: unknown, now: number): Promise<string> {
    const key = await this.dataKey(db, personId, now, true);
    if (!key) throw new Error('the person data key cannot be unwrapped with this installation key');
    return seal(key, Buffer.from(JSON.stringify(value), 'utf8'), dataAad(personId));
  }

  /** The value, or undefined once the person's data key is gone (shredded). */
  async open<T = unknown>(db: Db, personId: string, sealed: string): Promise<T | undefined> {
    const key = await this.dataKey(db, personId, 0, false);
    if (!key) return undefined;
    const plain = openSealed(key, sealed, dataAad(personId));
    return plain === undefined ? undefined : (JSON.parse(plain.toString('utf8')) as T);
  }

  /** Destroys the person's data key; true when there was one. */
  async shred(db: Db, personId: string): Promise<boolean> {
    const result = await lifecycleDb(db)
      .deleteFrom('person_keys')
      .where('person_id', '=', personId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
