// Reservations from a booking or property-management system (issue 13): a reservation books a space
// (an area) for a guest from a start to an end, and its key follows it — issued with the booking,
// changed with it, revoked when it is cancelled and ended when its time is over. Each write runs in
// one transaction with its key and its idempotency record (idempotency.ts).

import { randomBytes } from 'node:crypto';
import type { DomainEvent } from '../domain/events.ts';
import type { IssuedKey, KeyService } from '../keys/service.ts';
import { KeyError } from '../keys/service.ts';
import { type AccessKey, KeyStore, keyDb } from '../keys/store.ts';
import type { ReservationsTable } from '../keys/tables.ts';
import type { Actor } from '../services/write.ts';
import type { Executor } from '../storage/db.ts';
import { Idempotency } from './idempotency.ts';

export type ReservationState = 'booked' | 'cancelled' | 'ended';
export const RESERVATION_STATES: readonly ReservationState[] = ['booked', 'cancelled', 'ended'];

export interface Reservation {
  id: string;
  spaceId: string;
  guestId: string;
  externalRef: string | null;
  startsAt: number;
  endsAt: number;
  state: ReservationState;
  keyId: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface NewReservation {
  id?: string | undefined;
  spaceId: string;
  guest:
    | { id: string }
    | { name: string; company?: string | null; contact?: string | null; hostPersonId?: string | null };
  startsAt: number;
  endsAt: number;
  externalRef?: string | null;
  linkMinutes?: number;
}

export interface ReservationPatch {
  spaceId?: string;
  startsAt?: number;
  endsAt?: number;
  externalRef?: string | null;
}

const reservationOf = (r: ReservationsTable): Reservation => ({
  id: r.id,
  spaceId: r.space_id,
  guestId: r.guest_id,
  externalRef: r.external_ref,
  startsAt: Number(r.starts_at),
  endsAt: Number(r.ends_at),
  state: r.state as ReservationState,
  keyId: r.key_id,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Called inside the write's transaction with what it did (the idempotency record goes there). */
export type InWrite<T> = (tx: Executor, result: T) => Promise<void>;

const SYSTEM: Actor = { origin: { actor: 'system', source: 'server', via: 'system' }, scope: 'all' };

export class ReservationService {
  readonly idempotency: Idempotency;

  constructor(
    private readonly keys: KeyService,
    readonly db: Executor,
    installationKey: Uint8Array,
  ) {
    this.idempotency = new Idempotency(installationKey);
  }

  async get(id: string): Promise<Reservation | undefined> {
    const r = await keyDb(this.db)
      .selectFrom('reservations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r && reservationOf(r);
  }

  async list(q: {
    cursor?: string | undefined;
    limit: number;
    space?: string | undefined;
    guest?: string | undefined;
    state?: ReservationState | undefined;
    externalRef?: string | undefined;
    from?: number | undefined;
    to?: number | undefined;
  }): Promise<{ items: Reservation[]; next: string | null }> {
    let query = keyDb(this.db)
      .selectFrom('reservations')
      .selectAll()
      .orderBy('id')
      .limit(q.limit + 1);
    if (q.cursor) query = query.where('id', '>', q.cursor);
    if (q.space) query = query.where('space_id', '=', q.space);
    if (q.guest) query = query.where('guest_id', '=', q.guest);
    if (q.state) query = query.where('state', '=', q.state);
    if (q.externalRef) query = query.where('external_ref', '=', q.externalRef);
    // Overlapping [from, to): ends after from, starts before to.
    if (q.from !== undefined) query = query.where('ends_at', '>', q.from);
    if (q.to !== undefined) query = query.where('starts_at', '<', q.to);
    const rows = (await query.execute()).map(reservationOf);
    const page = rows.slice(0, q.limit);
    return { items: page, next: rows.length > q.limit ? page[page.length - 1]!.id : null };
  }

  create(
    input: NewReservation,
    actor: Actor,
    inWrite: InWrite<{ reservation: Reservation; issued: IssuedKey }>,
  ): Promise<{ reservation: Reservation; issued: IssuedKey }> {
    return this.keys.inWrite(actor, async (tx, raise, now) => {
      const db = keyDb(tx);
      const id = input.id ?? `r-${randomBytes(9).toString('base64url')}`;
      if (await db.selectFrom('reservations').select('id').where('id', '=', id).executeTakeFirst())
        throw new KeyError('exists', 'reservation', `a reservation '${id}' exists`, 'id');
      await checkSpace(tx, input.spaceId);
      if (input.endsAt <= input.startsAt)
        throw new KeyError('invalid', 'reservation', 'must be after startsAt', 'endsAt');
      const guestId = await this.guestOf(tx, input.guest, actor, raise, now);
      const issued = await this.keys.issueIn(
        tx,
        {
          holder: { kind: 'guest', id: guestId },
          doors: [],
          areas: [input.spaceId],
          validFrom: input.startsAt,
          validUntil: input.endsAt,
          weekdays: [],
          windows: [],
          maxUses: null,
          validForMinutes: null,
          label: `reservation ${id}`,
          reservationId: id,
          ...(input.linkMinutes !== undefined && { linkMinutes: input.linkMinutes }),
        },
        actor,
        now,
        raise,
      );
      await db
        .insertInto('reservations')
        .values({
          id,
          space_id: input.spaceId,
          guest_id: guestId,
          external_ref: input.externalRef ?? null,
          starts_at: input.startsAt,
          ends_at: input.endsAt,
          state: 'booked',
          key_id: issued.key.id,
          created_by: actor.origin.actor,
          created_at: now,
          updated_at: now,
        })
        .execute();
      raise({ type: 'reservation.changed', reservation: id, action: 'created' });
      const result = { reservation: (await this.getIn(tx, id))!, issued };
      await inWrite(tx, result);
      return result;
    });
  }

  update(
    id: string,
    patch: ReservationPatch,
    actor: Actor,
    inWrite: InWrite<{ reservation: Reservation; key: AccessKey | undefined }>,
  ): Promise<{ reservation: Reservation; key: AccessKey | undefined }> {
    return this.keys.inWrite(actor, async (tx, raise, now) => {
      const before = await this.booked(tx, id);
      const after = { ...before, ...definedOf(patch), updatedAt: now };
      if (patch.spaceId !== undefined) await checkSpace(tx, patch.spaceId);
      if (after.endsAt <= after.startsAt)
        throw new KeyError(
          'invalid',
          'reservation',
          'must be after startsAt',
          patch.endsAt !== undefined ? 'endsAt' : 'startsAt',
        );
      await keyDb(tx)
        .updateTable('reservations')
        .set({
          space_id: after.spaceId,
          starts_at: after.startsAt,
          ends_at: after.endsAt,
          external_ref: after.externalRef,
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      let key: AccessKey | undefined;
      if (before.keyId)
        key = await this.keys.updateIn(
          tx,
          before.keyId,
          { validFrom: after.startsAt, validUntil: after.endsAt, areas: [after.spaceId] },
          SYSTEM,
          now,
          raise,
        );
      raise({ type: 'reservation.changed', reservation: id, action: 'updated' });
      const result = { reservation: (await this.getIn(tx, id))!, key };
      await inWrite(tx, result);
      return result;
    });
  }

  cancel(
    id: string,
    actor: Actor,
    inWrite: InWrite<{ reservation: Reservation; key: AccessKey | undefined }>,
  ): Promise<{ reservation: Reservation; key: AccessKey | undefined }> {
    return this.keys.inWrite(actor, async (tx, raise, now) => {
      const before = await this.booked(tx, id);
      await keyDb(tx)
        .updateTable('reservations')
        .set({ state: 'cancelled', updated_at: now })
        .where('id', '=', id)
        .execute();
      const key = before.keyId
        ? await this.keys.endKey(new KeyStore(tx), before.keyId, 'revoked', now, raise)
        : undefined;
      raise({ type: 'reservation.changed', reservation: id, action: 'cancelled' });
      const result = { reservation: (await this.getIn(tx, id))!, key };
      await inWrite(tx, result);
      return result;
    });
  }

  /** Reservations whose time is over become `ended` (their keys end with the key sweep). */
  endOver(): Promise<string[]> {
    return this.keys.inWrite(SYSTEM, async (tx, raise, now) => {
      const db = keyDb(tx);
      const over = await db
        .selectFrom('reservations')
        .select('id')
        .where('state', '=', 'booked')
        .where('ends_at', '<=', now)
        .execute();
      for (const { id } of over) {
        await db
          .updateTable('reservations')
          .set({ state: 'ended', updated_at: now })
          .where('id', '=', id)
          .execute();
        raise({ type: 'reservation.changed', reservation: id, action: 'ended' });
      }
      return over.map((r) => r.id);
    });
  }

  private async getIn(tx: Executor, id: string): Promise<Reservation | undefined> {
    const r = await keyDb(tx).selectFrom('reservations').selectAll().where('id', '=', id).executeTakeFirst();
    return r && reservationOf(r);
  }

  private async booked(tx: Executor, id: string): Promise<Reservation> {
    const r = await this.getIn(tx, id);
    if (!r) throw new KeyError('not_found', 'reservation', `no reservation '${id}'`);
    if (r.state !== 'booked')
      throw new KeyError('invalid', 'reservation', `the reservation is ${r.state}`, 'state');
    return r;
  }

  private async guestOf(
    tx: Executor,
    guest: NewReservation['guest'],
    actor: Actor,
    raise: (e: DomainEvent) => void,
    now: number,
  ): Promise<string> {
    if ('id' in guest) {
      if (!(await new KeyStore(tx).guest(guest.id)))
        throw new KeyError('unknown_reference', 'reservation', `no guest '${guest.id}'`, 'guest.id');
      return guest.id;
    }
    const id = `g-${randomBytes(9).toString('base64url')}`;
    if (guest.hostPersonId) {
      const host = await keyDb(tx)
        .selectFrom('people')
        .select('id')
        .where('id', '=', guest.hostPersonId)
        .executeTakeFirst();
      if (!host)
        throw new KeyError(
          'unknown_reference',
          'reservation',
          `no person '${guest.hostPersonId}'`,
          'guest.hostPersonId',
        );
    } else if (actor.scope !== 'all') {
      throw new KeyError(
        'out_of_scope',
        'reservation',
        'a guest without a host in your scope',
        'guest.hostPersonId',
      );
    }
    await keyDb(tx)
      .insertInto('guests')
      .values({
        id,
        name: guest.name,
        company: guest.company ?? null,
        contact: guest.contact ?? null,
        host_person_id: guest.hostPersonId ?? null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    raise({ type: 'guest.changed', guest: id, action: 'created' });
    return id;
  }
}

async function checkSpace(tx: Executor, spaceId: string): Promise<void> {
  const area = await keyDb(tx).selectFrom('areas').select('id').where('id', '=', spaceId).executeTakeFirst();
  if (!area || spaceId === 'outside')
    throw new KeyError('unknown_reference', 'reservation', `no space (area) '${spaceId}'`, 'spaceId');
}

function definedOf<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
