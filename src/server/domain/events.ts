// The domain events of the management server: what a write changed, raised by the write that caused
// it (the service layer, src/server/services/) and published on the one in-process bus (bus.ts) once
// the write is committed. Snapshots, revocation and audit consume them alike; webhooks and the
// console's push stream will subscribe to the same events. This file is the whole vocabulary.
//
// Events name records by id. The only credential material in them is a credential's key as the
// controllers know it (`CredentialKey`: a card number, key or mobile id — or, for a PIN-only
// credential, its keyed PIN hash, never the PIN), needed to revoke a credential that is gone; a
// subscriber that sends events outside the process must leave it out.

import type { CredentialState, CredentialType } from '../storage/credentials.ts';

/** How controllers recognise a credential: its type and identifier (PIN-only: the keyed PIN hash). */
export interface CredentialKey {
  type: CredentialType;
  identifier: string;
}

/** The records of the site model that have no events of their own beyond created/updated/deleted. */
export const SITE_RESOURCES = [
  'group',
  'access_level',
  'schedule',
  'holiday_calendar',
  'area',
  'door',
  'controller',
  'site',
] as const;
export type SiteResource = (typeof SITE_RESOURCES)[number];
export type RecordAction = 'created' | 'updated' | 'deleted';

export type DomainEvent =
  // People (利用者)
  | { type: 'person.created'; person: string }
  /** name, department or site (the fields given) */
  | { type: 'person.updated'; person: string; fields: string[] }
  /** marked as left or suspended: every credential of theirs stops working */
  | { type: 'person.left'; person: string }
  /** active again after having left */
  | { type: 'person.returned'; person: string }
  | { type: 'person.deleted'; person: string }
  | { type: 'person.groups.changed'; person: string; added: string[]; removed: string[] }
  | { type: 'person.levels.changed'; person: string; added: string[]; removed: string[] }
  // Credentials (認証情報)
  | { type: 'credential.created'; credential: string; person: string }
  /**
   * validity, uses, label or PIN (the fields given). `replacedKey`: the key controllers knew it by
   * before, which no longer opens anything (a PIN-only credential's PIN changed).
   */
  | {
      type: 'credential.updated';
      credential: string;
      person: string;
      fields: string[];
      replacedKey?: CredentialKey;
    }
  /** no longer active: suspended, lost or revoked */
  | {
      type: 'credential.revoked';
      credential: string;
      person: string;
      state: Exclude<CredentialState, 'active'>;
      key?: CredentialKey;
    }
  | { type: 'credential.reinstated'; credential: string; person: string }
  | { type: 'credential.deleted'; credential: string; person: string; key?: CredentialKey }
  // The site model: groups and levels say what they lost (what may need revoking), the rest what
  // happened to them.
  | { type: 'group.changed'; group: string; action: RecordAction; levelsRemoved: string[] }
  | { type: 'access_level.changed'; level: string; action: RecordAction; doorsRemoved: string[] }
  | {
      type: 'site.changed';
      resource: Exclude<SiteResource, 'group' | 'access_level'>;
      id: string;
      action: RecordAction;
    }
  // Guests, time-limited keys and reservations (src/server/keys/, src/server/reservations/). A key
  // is named by id; `refHash` is the keyed hash controllers know it by (no secret), to revoke it.
  | { type: 'guest.changed'; guest: string; action: RecordAction }
  /** `holder`: `person:<id>` or `guest:<id>` */
  | { type: 'key.issued'; key: string; holder: string; kind: 'key' | 'delivery' }
  /** doors, areas, dates, windows, uses, link (`replacedRefHash`: the secret was rotated) */
  | { type: 'key.changed'; key: string; fields: string[]; replacedRefHash?: string }
  | { type: 'key.revoked'; key: string; holder: string; refHash: string; reason: 'revoked' | 'ended' }
  | {
      type: 'reservation.changed';
      reservation: string;
      action: 'created' | 'updated' | 'cancelled' | 'ended';
    };

export type DomainEventType = DomainEvent['type'];
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

/** Who caused a write, for audit: an operator or token through the API, a CLI user, the server itself. */
export interface Origin {
  /** operator id, `token:<id>`, `cli`, `system` */
  actor: string;
  /** the caller's address, or where else the write came from (`cli`, `server`) */
  source: string;
  via: 'api' | 'cli' | 'system';
  /**
   * true when the write's audit records were committed with the write itself (an import's switch:
   * imports/pipeline.ts), so the audit subscriber does not write them again
   */
  audited?: true;
}

/** An event as published: numbered in the order of publication (per server process). */
export interface Published {
  seq: number;
  at: number;
  origin: Origin;
  event: DomainEvent;
}

const RECORD_VERB: Record<RecordAction, string> = { created: 'create', updated: 'update', deleted: 'delete' };

/** The audit record of an event: its action (`person.create`, `credential.revoke`) and target. */
export function auditRecordOf(event: DomainEvent): {
  action: string;
  target: string;
  detail: Record<string, unknown>;
} {
  switch (event.type) {
    case 'person.created':
      return { action: 'person.create', target: `person:${event.person}`, detail: {} };
    case 'person.updated':
      return { action: 'person.update', target: `person:${event.person}`, detail: { fields: event.fields } };
    case 'person.left':
      return { action: 'person.leave', target: `person:${event.person}`, detail: {} };
    case 'person.returned':
      return { action: 'person.return', target: `person:${event.person}`, detail: {} };
    case 'person.deleted':
      return { action: 'person.delete', target: `person:${event.person}`, detail: {} };
    case 'person.groups.changed':
      return {
        action: 'person.groups_change',
        target: `person:${event.person}`,
        detail: { added: event.added, removed: event.removed },
      };
    case 'person.levels.changed':
      return {
        action: 'person.levels_change',
        target: `person:${event.person}`,
        detail: { added: event.added, removed: event.removed },
      };
    case 'credential.created':
      return {
        action: 'credential.create',
        target: `credential:${event.credential}`,
        detail: { person: event.person },
      };
    case 'credential.updated':
      return {
        action: 'credential.update',
        target: `credential:${event.credential}`,
        detail: { person: event.person, fields: event.fields },
      };
    case 'credential.revoked':
      return {
        action: 'credential.revoke',
        target: `credential:${event.credential}`,
        detail: { person: event.person, state: event.state },
      };
    case 'credential.reinstated':
      return {
        action: 'credential.reinstate',
        target: `credential:${event.credential}`,
        detail: { person: event.person },
      };
    case 'credential.deleted':
      return {
        action: 'credential.delete',
        target: `credential:${event.credential}`,
        detail: { person: event.person },
      };
    case 'group.changed':
      return { action: `group.${RECORD_VERB[event.action]}`, target: `group:${event.group}`, detail: {} };
    case 'access_level.changed':
      return {
        action: `access_level.${RECORD_VERB[event.action]}`,
        target: `access_level:${event.level}`,
        detail: {},
      };
    case 'site.changed':
      return {
        action: `${event.resource}.${RECORD_VERB[event.action]}`,
        target: `${event.resource}:${event.id}`,
        detail: {},
      };
    case 'guest.changed':
      return { action: `guest.${RECORD_VERB[event.action]}`, target: `guest:${event.guest}`, detail: {} };
    case 'key.issued':
      return {
        action: 'key.issue',
        target: `key:${event.key}`,
        detail: { holder: event.holder, kind: event.kind },
      };
    case 'key.changed':
      return { action: 'key.update', target: `key:${event.key}`, detail: { fields: event.fields } };
    case 'key.revoked':
      return {
        action: event.reason === 'ended' ? 'key.end' : 'key.revoke',
        target: `key:${event.key}`,
        detail: { holder: event.holder },
      };
    case 'reservation.changed':
      return {
        action: `reservation.${event.action === 'created' ? 'create' : event.action === 'updated' ? 'update' : event.action === 'cancelled' ? 'cancel' : 'end'}`,
        target: `reservation:${event.reservation}`,
        detail: {},
      };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}
