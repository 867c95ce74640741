// Guests and time-limited keys (時限キー, issue 13): every write to them goes through here, in one
// transaction, raising its domain events (audit, snapshots and revocations follow from those, as for
// every other write of the service layer). A key is issued with a delivery link whose token is shown
// once; the key's secret is derived from that token and never stored (secrets.ts). Delivery access
// (置き配) is a key of kind `delivery`: one door, a window, a single use.

import { randomBytes } from 'node:crypto';
import { siteCredentialKey } from '../../contracts/credential-key.ts';
import type { Weekday } from '../../core/model.ts';
import type { DomainEvent } from '../domain/events.ts';
import { type Actor, publish, type ServiceDeps } from '../services/write.ts';
import { type Executor, inTransaction } from '../storage/db.ts';
import { PeopleStore } from '../storage/people.ts';
import { keyRefHash, keySecretOf, linkPath, linkTokenHash, newLinkToken } from './secrets.ts';
import {
  type AccessKey,
  effectiveUntil,
  type Guest,
  guestOf,
  type HolderKind,
  type KeyKind,
  type KeyState,
  KeyStore,
  keyOf,
} from './store.ts';

export class KeyError extends Error {
  constructor(
    readonly kind: 'not_found' | 'invalid' | 'unknown_reference' | 'exists' | 'out_of_scope' | 'gone',
    readonly resource: 'guest' | 'key' | 'key_link' | 'reservation',
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'KeyError';
  }
}

export interface GuestInput {
  id?: string | undefined;
  name: string;
  company?: string | null | undefined;
  contact?: string | null | undefined;
  hostPersonId?: string | null | undefined;
}

export interface KeyInput {
  holder: { kind: HolderKind; id: string };
  kind?: KeyKind;
  doors: string[];
  areas: string[];
  validFrom: number;
  validUntil: number;
  weekdays: Weekday[];
  windows: string[];
  maxUses: number | null;
  validForMinutes: number | null;
  label: string | null;
  recipientPersonId?: string | null;
  reservationId?: string | null;
  /** how long the delivery link works (default 24 h, never past the key's end + 1 h) */
  linkMinutes?: number;
}

export type KeyPatch = Partial<
  Pick<
    KeyInput,
    | 'doors'
    | 'areas'
    | 'validFrom'
    | 'validUntil'
    | 'weekdays'
    | 'windows'
    | 'maxUses'
    | 'validForMinutes'
    | 'label'
  >
>;

/** A key as issued: with its delivery link, shown this once. */
export interface IssuedKey {
  key: AccessKey;
  link: { path: string; expiresAt: number };
}

const DEFAULT_LINK_MINUTES = 24 * 60;
const holderRef = (k: Pick<AccessKey, 'holder'>) => `${k.holder.kind}:${k.holder.id}`;
const newKeyId = () => `k-${randomBytes(9).toString('base64url')}`;

export class KeyService {
  private readonly credentialKey: Uint8Array;

  constructor(private readonly deps: ServiceDeps) {
    this.credentialKey = siteCredentialKey(deps.installationKey);
  }

  /** Runs `fn` in one transaction and publishes its events once committed. */
  private async write<T>(
    actor: Actor,
    fn: (tx: Executor, raise: (e: DomainEvent) => void, now: number) => Promise<T>,
  ): Promise<T> {
    const events: DomainEvent[] = [];
    const now = this.deps.clock.now();
    const result = await inTransaction(this.deps.store.db, (tx) => fn(tx, (e) => events.push(e), now));
    await publish(this.deps, actor, events);
    return result;
  }

  /** For callers that write keys inside their own transaction (reservations). */
  async inWrite<T>(
    actor: Actor,
    fn: (tx: Executor, raise: (e: DomainEvent) => void, now: number) => Promise<T>,
  ): Promise<T> {
    return this.write(actor, fn);
  }

  // ------------------------------------------------------------------ reads

  async guest(id: string, actor: Actor): Promise<Guest | undefined> {
    const db = this.deps.store.db;
    const guest = await new KeyStore(db).guest(id);
    if (!guest || actor.scope === 'all') return guest;
    return guest.hostPersonId && (await new PeopleStore(db).get(guest.hostPersonId, actor.scope))
      ? guest
      : undefined;
  }

  async listGuests(
    q: { cursor?: string | undefined; limit: number; host?: string | undefined },
    actor: Actor,
  ) {
    const store = new KeyStore(this.deps.store.db);
    let query = store.db
      .selectFrom('guests')
      .selectAll()
      .orderBy('id')
      .limit(q.limit + 1);
    if (q.cursor) query = query.where('id', '>', q.cursor);
    if (q.host) query = query.where('host_person_id', '=', q.host);
    const rows = (await query.execute()).map(guestOf);
    const page = rows.slice(0, q.limit);
    const visible = [];
    for (const g of page) if (await this.guest(g.id, actor)) visible.push(g);
    return { items: visible, next: rows.length > q.limit ? page[page.length - 1]!.id : null };
  }

  async key(id: string, actor: Actor): Promise<AccessKey | undefined> {
    const db = this.deps.store.db;
    const key = await new KeyStore(db).key(id);
    return key && (await this.mayTouch(db, key, actor)) ? key : undefined;
  }

  async listKeys(
    q: {
      cursor?: string | undefined;
      limit: number;
      holder?: string | undefined;
      state?: KeyState | undefined;
      reservation?: string | undefined;
      kind?: KeyKind | undefined;
    },
    actor: Actor,
  ) {
    const store = new KeyStore(this.deps.store.db);
    let query = store.db
      .selectFrom('access_keys')
      .selectAll()
      .orderBy('id')
      .limit(q.limit + 1);
    if (q.cursor) query = query.where('id', '>', q.cursor);
    if (q.holder) {
      const [kind, ...rest] = q.holder.split(':');
      query = query.where('holder_kind', '=', kind!).where('holder_id', '=', rest.join(':'));
    }
    if (q.state) query = query.where('state', '=', q.state);
    if (q.reservation) query = query.where('reservation_id', '=', q.reservation);
    if (q.kind) query = query.where('kind', '=', q.kind);
    const rows = (await query.execute()).map(keyOf);
    const page = rows.slice(0, q.limit);
    const visible = [];
    for (const k of page) if (await this.mayTouch(this.deps.store.db, k, actor)) visible.push(k);
    return { items: visible, next: rows.length > q.limit ? page[page.length - 1]!.id : null };
  }

  /** Grants recorded so far, at every controller (uses.ts). */
  usesOf(id: string): Promise<number> {
    return new KeyStore(this.deps.store.db).usesOf(id);
  }

  async uses(id: string, q: { cursor?: string | undefined; limit: number }) {
    const db = new KeyStore(this.deps.store.db).db;
    let query = db
      .selectFrom('key_uses')
      .selectAll()
      .where('key_id', '=', id)
      .orderBy('id')
      .limit(q.limit + 1);
    if (q.cursor) query = query.where('id', '>', q.cursor);
    const rows = await query.execute();
    const page = rows.slice(0, q.limit);
    return {
      items: page.map((u) => ({
        at: Number(u.at),
        door: u.door,
        result: u.result as 'grant' | 'deny',
        reason: u.reason,
        controllerId: u.controller_id,
        sponsor: u.sponsor,
      })),
      next: rows.length > q.limit ? page[page.length - 1]!.id : null,
    };
  }

  // ------------------------------------------------------------------ guests

  createGuest(input: GuestInput, actor: Actor): Promise<Guest> {
    return this.write(actor, async (tx, raise, now) => {
      const id = input.id ?? `g-${randomBytes(9).toString('base64url')}`;
      const store = new KeyStore(tx);
      if (await store.guest(id)) throw new KeyError('exists', 'guest', `a guest '${id}' exists`, 'id');
      await this.checkHost(tx, input.hostPersonId ?? null, actor);
      await store.db
        .insertInto('guests')
        .values({
          id,
          name: input.name,
          company: input.company ?? null,
          contact: input.contact ?? null,
          host_person_id: input.hostPersonId ?? null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      raise({ type: 'guest.changed', guest: id, action: 'created' });
      return (await store.guest(id))!;
    });
  }

  updateGuest(id: string, patch: Omit<Partial<GuestInput>, 'id'>, actor: Actor): Promise<Guest> {
    return this.write(actor, async (tx, raise, now) => {
      const store = new KeyStore(tx);
      const before = await store.guest(id);
      if (!before) throw new KeyError('not_found', 'guest', `no guest '${id}'`);
      await this.checkHost(tx, before.hostPersonId, actor);
      if (patch.hostPersonId !== undefined) await this.checkHost(tx, patch.hostPersonId, actor);
      await store.db
        .updateTable('guests')
        .set({
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.company !== undefined && { company: patch.company }),
          ...(patch.contact !== undefined && { contact: patch.contact }),
          ...(patch.hostPersonId !== undefined && { host_person_id: patch.hostPersonId }),
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      raise({ type: 'guest.changed', guest: id, action: 'updated' });
      return (await store.guest(id))!;
    });
  }

  /** Deletes a guest; every live key of theirs is revoked at once. */
  deleteGuest(id: string, actor: Actor): Promise<boolean> {
    return this.write(actor, async (tx, raise, now) => {
      const store = new KeyStore(tx);
      const guest = await store.guest(id);
      if (!guest) return false;
      await this.checkHost(tx, guest.hostPersonId, actor);
      const keys = await store.db
        .selectFrom('access_keys')
        .select('id')
        .where('holder_kind', '=', 'guest')
        .where('holder_id', '=', id)
        .where('state', '=', 'active')
        .execute();
      for (const { id: keyId } of keys) await this.endKey(store, keyId, 'revoked', now, raise);
      await store.db.deleteFrom('guests').where('id', '=', id).execute();
      raise({ type: 'guest.changed', guest: id, action: 'deleted' });
      return true;
    });
  }

  /** A scoped operator may only touch guests whose host is in their scope. */
  private async checkHost(tx: Executor, host: string | null, actor: Actor): Promise<void> {
    if (host === null) {
      if (actor.scope !== 'all')
        throw new KeyError('out_of_scope', 'guest', 'a guest without a host in your scope', 'hostPersonId');
      return;
    }
    if (!(await new PeopleStore(tx).get(host, actor.scope)))
      throw new KeyError('unknown_reference', 'guest', `no person '${host}'`, 'hostPersonId');
  }

  // ------------------------------------------------------------------ keys

  issue(input: KeyInput, actor: Actor): Promise<IssuedKey> {
    return this.write(actor, (tx, raise, now) => this.issueIn(tx, input, actor, now, raise));
  }

  /** Issues a key inside the caller's transaction. */
  async issueIn(
    tx: Executor,
    input: KeyInput,
    actor: Actor,
    now: number,
    raise: (e: DomainEvent) => void,
  ): Promise<IssuedKey> {
    const kind = input.kind ?? 'key';
    await this.checkHolder(tx, input.holder, actor);
    await this.checkPlaces(tx, input.doors, input.areas);
    checkWindow(input.validFrom, input.validUntil);
    if (kind === 'delivery') {
      if (input.doors.length !== 1 || input.areas.length > 0)
        throw new KeyError('invalid', 'key', 'delivery access opens exactly one door', 'doors');
      if (input.recipientPersonId && !(await new PeopleStore(tx).get(input.recipientPersonId, actor.scope)))
        throw new KeyError('unknown_reference', 'key', `no person '${input.recipientPersonId}'`, 'recipient');
    }
    const token = newLinkToken();
    const key: AccessKey = {
      id: newKeyId(),
      kind,
      holder: input.holder,
      sponsor: actor.origin.actor,
      label: input.label,
      doors: input.doors,
      areas: input.areas,
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      weekdays: input.weekdays,
      windows: input.windows,
      maxUses: kind === 'delivery' ? 1 : input.maxUses,
      usesCounted: 0,
      validForMinutes: input.validForMinutes,
      firstUsedAt: null,
      state: 'active',
      refHash: keyRefHash(this.credentialKey, keySecretOf(token)),
      reservationId: input.reservationId ?? null,
      recipientPersonId: input.recipientPersonId ?? null,
      createdAt: now,
      updatedAt: now,
      revokedAt: null,
    };
    const store = new KeyStore(tx);
    await store.insertKey(key);
    const link = await this.addLink(store, key, token, now, input.linkMinutes);
    raise({ type: 'key.issued', key: key.id, holder: holderRef(key), kind });
    return { key, link };
  }

  /**
   * Delivery access (置き配): a single-use key for one door and a window, held by the courier as a
   * guest hosted by the recipient, who is told when it is used (the `delivery.used` webhook event).
   */
  issueDelivery(
    input: {
      door: string;
      recipientPersonId: string;
      courier: { name: string; company?: string | null };
      validFrom: number;
      validUntil: number;
      label: string | null;
      linkMinutes?: number;
    },
    actor: Actor,
  ): Promise<IssuedKey> {
    return this.write(actor, async (tx, raise, now) => {
      if (!(await new PeopleStore(tx).get(input.recipientPersonId, actor.scope)))
        throw new KeyError(
          'unknown_reference',
          'key',
          `no person '${input.recipientPersonId}'`,
          'recipientPersonId',
        );
      const store = new KeyStore(tx);
      const guestId = `g-${randomBytes(9).toString('base64url')}`;
      await store.db
        .insertInto('guests')
        .values({
          id: guestId,
          name: input.courier.name,
          company: input.courier.company ?? null,
          contact: null,
          host_person_id: input.recipientPersonId,
          created_at: now,
          updated_at: now,
        })
        .execute();
      raise({ type: 'guest.changed', guest: guestId, action: 'created' });
      return this.issueIn(
        tx,
        {
          kind: 'delivery',
          holder: { kind: 'guest', id: guestId },
          doors: [input.door],
          areas: [],
          validFrom: input.validFrom,
          validUntil: input.validUntil,
          weekdays: [],
          windows: [],
          maxUses: 1,
          validForMinutes: null,
          label: input.label,
          recipientPersonId: input.recipientPersonId,
          ...(input.linkMinutes !== undefined && { linkMinutes: input.linkMinutes }),
        },
        actor,
        now,
        raise,
      );
    });
  }

  update(id: string, patch: KeyPatch, actor: Actor): Promise<AccessKey> {
    return this.write(actor, (tx, raise, now) => this.updateIn(tx, id, patch, actor, now, raise));
  }

  async updateIn(
    tx: Executor,
    id: string,
    patch: KeyPatch,
    actor: Actor,
    now: number,
    raise: (e: DomainEvent) => void,
  ): Promise<AccessKey> {
    const store = new KeyStore(tx);
    const before = await this.liveKey(tx, id, actor);
    const after: AccessKey = { ...before, updatedAt: now };
    const fields: string[] = [];
    for (const [field, value] of Object.entries(patch) as [keyof KeyPatch, never][]) {
      if (value === undefined) continue;
      (after as unknown as Record<string, unknown>)[field] = value;
      fields.push(field);
    }
    if (fields.length === 0) return before;
    await this.checkPlaces(tx, after.doors, after.areas);
    checkWindow(after.validFrom, after.validUntil);
    if (after.kind === 'delivery' && (after.doors.length !== 1 || after.areas.length > 0))
      throw new KeyError('invalid', 'key', 'delivery access opens exactly one door', 'doors');
    await store.replaceKey(after);
    raise({ type: 'key.changed', key: id, fields });
    return after;
  }

  revoke(id: string, actor: Actor): Promise<AccessKey> {
    return this.write(actor, async (tx, raise, now) => {
      await this.liveKey(tx, id, actor);
      return this.endKey(new KeyStore(tx), id, 'revoked', now, raise);
    });
  }

  /** Revoked (at once, on every controller) or ended (its time is over); kept on record. */
  async endKey(
    store: KeyStore,
    id: string,
    reason: 'revoked' | 'ended',
    now: number,
    raise: (e: DomainEvent) => void,
  ): Promise<AccessKey> {
    const key = (await store.key(id))!;
    if (key.state !== 'active') return key;
    const after: AccessKey = { ...key, state: reason, updatedAt: now, revokedAt: now };
    await store.replaceKey(after);
    await store.db.deleteFrom('key_links').where('key_id', '=', id).execute();
    raise({ type: 'key.revoked', key: id, holder: holderRef(key), refHash: key.refHash, reason });
    return after;
  }

  /** A new delivery link: the key gets a new secret, the old QR code stops working at once. */
  relink(id: string, actor: Actor, linkMinutes?: number): Promise<IssuedKey> {
    return this.write(actor, async (tx, raise, now) => {
      const store = new KeyStore(tx);
      const before = await this.liveKey(tx, id, actor);
      const token = newLinkToken();
      const after: AccessKey = {
        ...before,
        refHash: keyRefHash(this.credentialKey, keySecretOf(token)),
        updatedAt: now,
      };
      await store.replaceKey(after);
      await store.db.deleteFrom('key_links').where('key_id', '=', id).execute();
      const link = await this.addLink(store, after, token, now, linkMinutes);
      raise({ type: 'key.changed', key: id, fields: ['link'], replacedRefHash: before.refHash });
      return { key: after, link };
    });
  }

  private async addLink(
    store: KeyStore,
    key: AccessKey,
    token: string,
    now: number,
    minutes = DEFAULT_LINK_MINUTES,
  ): Promise<IssuedKey['link']> {
    const expiresAt = Math.min(now + minutes * 60_000, Math.max(key.validUntil, now) + 3_600_000);
    await store.db
      .insertInto('key_links')
      .values({
        token_hash: linkTokenHash(token),
        key_id: key.id,
        expires_at: expiresAt,
        created_at: now,
        opened_at: null,
      })
      .execute();
    return { path: linkPath(token), expiresAt };
  }

  /**
   * The holder opens their link: the key's secret (for the QR code) and what it opens. An unknown,
   * expired or revoked link answers the same (`gone`), so a guess learns nothing.
   */
  async openLink(token: string): Promise<{ key: AccessKey; secret: string }> {
    const store = new KeyStore(this.deps.store.db);
    const now = this.deps.clock.now();
    const link = await store.db
      .selectFrom('key_links')
      .selectAll()
      .where('token_hash', '=', linkTokenHash(token))
      .executeTakeFirst();
    const key = link && Number(link.expires_at) > now ? await store.key(link.key_id) : undefined;
    const secret = keySecretOf(token);
    if (key?.state !== 'active' || key.refHash !== keyRefHash(this.credentialKey, secret))
      throw new KeyError('gone', 'key_link', 'this link has expired or was withdrawn');
    if (link!.opened_at === null)
      await store.db
        .updateTable('key_links')
        .set({ opened_at: now })
        .where('token_hash', '=', link!.token_hash)
        .execute();
    return { key, secret };
  }

  /** A live key the actor may touch. */
  private async liveKey(tx: Executor, id: string, actor: Actor): Promise<AccessKey> {
    const key = await new KeyStore(tx).key(id);
    if (!key || !(await this.mayTouch(tx, key, actor)))
      throw new KeyError('not_found', 'key', `no key '${id}'`);
    if (key.state !== 'active')
      throw new KeyError('invalid', 'key', `the key is ${key.state}: issue a new one`, 'state');
    return key;
  }

  async mayTouch(tx: Executor, key: Pick<AccessKey, 'holder'>, actor: Actor): Promise<boolean> {
    if (actor.scope === 'all') return true;
    try {
      await this.checkHolder(tx, key.holder, actor);
      return true;
    } catch {
      return false;
    }
  }

  private async checkHolder(tx: Executor, holder: KeyInput['holder'], actor: Actor): Promise<void> {
    if (holder.kind === 'person') {
      if (!(await new PeopleStore(tx).get(holder.id, actor.scope)))
        throw new KeyError('unknown_reference', 'key', `no person '${holder.id}'`, 'holder.person');
      return;
    }
    const guest = await new KeyStore(tx).guest(holder.id);
    if (!guest) throw new KeyError('unknown_reference', 'key', `no guest '${holder.id}'`, 'holder.guest');
    await this.checkHost(tx, guest.hostPersonId, actor);
  }

  private async checkPlaces(tx: Executor, doors: readonly string[], areas: readonly string[]): Promise<void> {
    if (doors.length + areas.length === 0)
      throw new KeyError('invalid', 'key', 'name at least one door or area', 'doors');
    const db = new KeyStore(tx).db;
    if (doors.length > 0) {
      const found = new Set(
        (
          await db
            .selectFrom('doors')
            .select('id')
            .where('id', 'in', [...doors])
            .execute()
        ).map((d) => d.id),
      );
      const i = doors.findIndex((d) => !found.has(d));
      if (i >= 0) throw new KeyError('unknown_reference', 'key', `no door '${doors[i]}'`, `doors[${i}]`);
    }
    if (areas.length > 0) {
      const found = new Set(
        (
          await db
            .selectFrom('areas')
            .select('id')
            .where('id', 'in', [...areas])
            .execute()
        ).map((a) => a.id),
      );
      const i = areas.findIndex((a) => !found.has(a) || a === 'outside');
      if (i >= 0) throw new KeyError('unknown_reference', 'key', `no area '${areas[i]}'`, `areas[${i}]`);
    }
  }

  /** Keys whose time is over become `ended` (their links go); returns how many. */
  async endExpired(actor: Actor): Promise<AccessKey[]> {
    return this.write(actor, async (tx, raise, now) => {
      const store = new KeyStore(tx);
      const rows = await store.db
        .selectFrom('access_keys')
        .select('id')
        .where('state', '=', 'active')
        .execute();
      const ended: AccessKey[] = [];
      for (const { id } of rows) {
        const key = (await store.key(id))!;
        if (effectiveUntil(key) <= now) ended.push(await this.endKey(store, id, 'ended', now, raise));
      }
      return ended;
    });
  }
}

function checkWindow(from: number, until: number): void {
  if (until <= from) throw new KeyError('invalid', 'key', 'must be after validFrom', 'validUntil');
}
