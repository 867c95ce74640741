// Storage of mobile key invitations, devices and the server's challenges (tables.ts). Each consume
// is one conditional UPDATE, so an invitation registers one device and a challenge opens once, also
// with two server instances on one database.

import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PublicJwk } from '../../contracts/mobile-token.ts';
import type { Executor } from '../storage/db.ts';
import type { Database } from '../storage/schema.ts';
import type { MobileChallengesTable, MobileTables } from './tables.ts';

export type MobileDb = Kysely<Database & MobileTables>;
export const mobileDb = (db: Executor): MobileDb =>
  (db as Kysely<Database>).withTables<MobileTables>() as MobileDb;

/** Unanswered server challenges kept per device. */
export const CHALLENGES_PER_DEVICE = 16;

export const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export interface MobileDevice {
  /** the `mobile` credential's id, which is also its identifier: `md-…` */
  id: string;
  personId: string;
  deviceName: string;
  publicKey: PublicJwk;
  /** the credential's state (active, suspended, lost, revoked) */
  state: string;
  refHash: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export class MobileStore {
  readonly db: MobileDb;

  constructor(db: Executor) {
    this.db = mobileDb(db);
  }

  async createInvitation(row: {
    id: string;
    tokenHash: string;
    personId: string;
    createdBy: string;
    label: string | null;
    expiresAt: number;
    now: number;
  }): Promise<void> {
    await this.db
      .insertInto('mobile_invitations')
      .values({
        id: row.id,
        token_hash: row.tokenHash,
        person_id: row.personId,
        created_by: row.createdBy,
        label: row.label,
        expires_at: row.expiresAt,
        created_at: row.now,
        used_at: null,
        credential_id: null,
      })
      .execute();
  }

  /** An unused, unexpired invitation's id (read only: consumeInvitation takes it). */
  async openInvitation(hash: string, now: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('mobile_invitations')
      .select('id')
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row?.id;
  }

  /** Takes an unused, unexpired invitation for one device; undefined when it is gone. */
  async consumeInvitation(
    hash: string,
    now: number,
  ): Promise<{ id: string; personId: string; label: string | null } | undefined> {
    const row = await this.db
      .selectFrom('mobile_invitations')
      .select(['id', 'person_id', 'label'])
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!row) return undefined;
    const taken = await this.db
      .updateTable('mobile_invitations')
      .set({ used_at: now })
      .where('id', '=', row.id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return undefined;
    return { id: row.id, personId: row.person_id, label: row.label };
  }

  async addDevice(row: {
    credentialId: string;
    personId: string;
    refHash: string;
    publicKey: PublicJwk;
    deviceName: string;
    invitationId: string;
    now: number;
  }): Promise<void> {
    await this.db
      .insertInto('mobile_devices')
      .values({
        credential_id: row.credentialId,
        person_id: row.personId,
        ref_hash: row.refHash,
        public_key: JSON.stringify(row.publicKey),
        device_name: row.deviceName,
        invitation_id: row.invitationId,
        created_at: row.now,
        last_used_at: null,
      })
      .execute();
    await this.db
      .updateTable('mobile_invitations')
      .set({ credential_id: row.credentialId })
      .where('id', '=', row.invitationId)
      .execute();
  }

  private devices() {
    return this.db
      .selectFrom('mobile_devices')
      .innerJoin('credentials', 'credentials.id', 'mobile_devices.credential_id')
      .select([
        'mobile_devices.credential_id',
        'mobile_devices.person_id',
        'mobile_devices.device_name',
        'mobile_devices.public_key',
        'mobile_devices.ref_hash',
        'mobile_devices.created_at',
        'mobile_devices.last_used_at',
        'credentials.state',
      ]);
  }

  async device(id: string): Promise<MobileDevice | undefined> {
    const row = await this.devices().where('mobile_devices.credential_id', '=', id).executeTakeFirst();
    return row && deviceOf(row);
  }

  async devicesOf(personId: string): Promise<MobileDevice[]> {
    const rows = await this.devices()
      .where('mobile_devices.person_id', '=', personId)
      .orderBy('mobile_devices.created_at')
      .execute();
    return rows.map(deviceOf);
  }

  /** Device public keys by the keyed hash controllers know them by (for snapshots). */
  async publicKeysByHash(hashes: readonly string[]): Promise<Map<string, PublicJwk>> {
    const found = new Map<string, PublicJwk>();
    for (let i = 0; i < hashes.length; i += 500) {
      const rows = await this.db
        .selectFrom('mobile_devices')
        .select(['ref_hash', 'public_key'])
        .where('ref_hash', 'in', hashes.slice(i, i + 500))
        .execute();
      for (const r of rows) found.set(r.ref_hash, JSON.parse(r.public_key) as PublicJwk);
    }
    return found;
  }

  async removeDevice(id: string): Promise<void> {
    await this.db.deleteFrom('mobile_challenges').where('credential_id', '=', id).execute();
    await this.db.deleteFrom('mobile_devices').where('credential_id', '=', id).execute();
  }

  /** Everything of a person's: devices (the join to credentials is gone by now), invitations, challenges. */
  async forgetPerson(personId: string): Promise<void> {
    const devices = await this.db
      .selectFrom('mobile_devices')
      .select('credential_id')
      .where('person_id', '=', personId)
      .execute();
    for (const d of devices) await this.removeDevice(d.credential_id);
    await this.db.deleteFrom('mobile_invitations').where('person_id', '=', personId).execute();
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('mobile_devices')
      .set({ last_used_at: now })
      .where('credential_id', '=', id)
      .execute();
  }

  async addChallenge(row: MobileChallengesTable): Promise<void> {
    await this.db.insertInto('mobile_challenges').values(row).execute();
    // At most CHALLENGES_PER_DEVICE unanswered per device (anyone who knows a device id may ask for
    // challenges): beyond, the oldest go, so asking again and again fills nothing.
    const cutoff = await this.db
      .selectFrom('mobile_challenges')
      .select('issued_at')
      .where('credential_id', '=', row.credential_id)
      .where('used_at', 'is', null)
      .orderBy('issued_at', 'desc')
      .limit(1)
      .offset(CHALLENGES_PER_DEVICE - 1)
      .executeTakeFirst();
    if (cutoff)
      await this.db
        .deleteFrom('mobile_challenges')
        .where('credential_id', '=', row.credential_id)
        .where('used_at', 'is', null)
        .where('issued_at', '<', Number(cutoff.issued_at))
        .execute();
    // Old challenges are kept a while (a replay is told from an unknown nonce), then dropped.
    await this.db
      .deleteFrom('mobile_challenges')
      .where('expires_at', '<', row.issued_at - 3_600_000)
      .execute();
  }

  /**
   * Answers a challenge once: 'ok' when it was the device's, for this door and instant, unexpired and
   * unused (now used); 'replayed' when it had been answered before; 'gone' otherwise.
   */
  async consumeChallenge(
    nonce: string,
    expect: { credentialId: string; door: string; issuedAt: number },
    now: number,
  ): Promise<'ok' | 'replayed' | 'gone'> {
    const taken = await this.db
      .updateTable('mobile_challenges')
      .set({ used_at: now })
      .where('nonce', '=', nonce)
      .where('credential_id', '=', expect.credentialId)
      .where('door', '=', expect.door)
      .where('issued_at', '=', expect.issuedAt)
      .where('expires_at', '>', now)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 1) return 'ok';
    const row = await this.db
      .selectFrom('mobile_challenges')
      .select(['used_at'])
      .where('nonce', '=', nonce)
      .executeTakeFirst();
    return row && row.used_at !== null ? 'replayed' : 'gone';
  }
}

function deviceOf(row: {
  credential_id: string;
  person_id: string;
  device_name: string;
  public_key: string;
  ref_hash: string;
  created_at: number;
  last_used_at: number | null;
  state: string;
}): MobileDevice {
  return {
    id: row.credential_id,
    personId: row.person_id,
    deviceName: row.device_name,
    publicKey: JSON.parse(row.public_key) as PublicJwk,
    state: row.state,
    refHash: row.ref_hash,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}
