// What becomes a webhook event, and what it carries. Sources: the controllers' events as stored
// (access granted and denied, door state), every alarm raised (controller-reported ones arrive
// through the alarm service too), the controller link (offline, online), the domain events of keys
// and reservations, and key uses. Data never holds a secret: credentials by their safe reference
// (card:C-1001, key#<id>), keys by id, no hashes, no PIN digits, no denial traces.

import type { ControllerEvent } from '../../contracts/messages.ts';
import type { Alarm } from '../alarms/store.ts';
import type { Published } from '../domain/events.ts';
import type { KeyUseNotice } from '../keys/uses.ts';
import type { OutboxEvent } from './service.ts';

export function fromControllerEvents(
  controllerId: string,
  events: readonly ControllerEvent[],
): OutboxEvent[] {
  const out: OutboxEvent[] = [];
  for (const e of events) {
    if (e.type === 'access') {
      const granted = e.detail.result === 'grant';
      out.push({
        type: granted ? 'access.granted' : 'access.denied',
        at: e.at,
        data: {
          controllerId,
          seq: e.seq,
          door: e.door ?? null,
          side: e.detail.side ?? null,
          person: e.person ?? null,
          credential: typeof e.detail.credential === 'string' ? e.detail.credential : null,
          ...(typeof e.detail.keyId === 'string' && { keyId: e.detail.keyId }),
          reason: e.detail.reason ?? null,
          warnings: e.detail.warnings ?? '',
        },
      });
    } else if (e.type === 'door') {
      out.push({
        type: 'door.state',
        at: e.at,
        data: {
          controllerId,
          seq: e.seq,
          door: e.door ?? null,
          state: e.detail.phase ?? e.detail.state ?? null,
        },
      });
    }
  }
  return out;
}

export function fromAlarm(alarm: Alarm): OutboxEvent {
  return {
    type: 'alarm.raised',
    at: alarm.lastRaisedAt,
    data: {
      alarmId: alarm.id,
      alarm: alarm.type,
      severity: alarm.severity,
      source: alarm.source,
      site: alarm.site,
      message: alarm.message,
      occurrences: alarm.occurrences,
    },
  };
}

export function fromLink(controllerId: string, state: 'lost' | 'restored', at: number): OutboxEvent {
  return { type: state === 'lost' ? 'controller.offline' : 'controller.online', at, data: { controllerId } };
}

export function fromDomainEvents(batch: readonly Published[]): OutboxEvent[] {
  const out: OutboxEvent[] = [];
  for (const { event, at, origin } of batch) {
    switch (event.type) {
      case 'key.issued':
        out.push({
          type: 'key.issued',
          at,
          data: { keyId: event.key, kind: event.kind, holder: event.holder, sponsor: origin.actor },
        });
        break;
      case 'key.revoked':
        out.push({
          type: event.reason === 'ended' ? 'key.ended' : 'key.revoked',
          at,
          data: { keyId: event.key, holder: event.holder, by: origin.actor },
        });
        break;
      case 'reservation.changed':
        out.push({
          type: `reservation.${event.action}`,
          at,
          data: { reservationId: event.reservation, by: origin.actor },
        });
        break;
      default:
        break;
    }
  }
  return out;
}

export function fromKeyUse(notice: KeyUseNotice): OutboxEvent {
  const k = notice.key;
  return {
    type: notice.type,
    at: notice.at,
    data: {
      keyId: k.id,
      kind: k.kind,
      holder: `${k.holder.kind}:${k.holder.id}`,
      sponsor: k.sponsor,
      door: notice.door,
      result: notice.result,
      reason: notice.reason,
      controllerId: notice.controllerId,
      ...(k.recipientPersonId && { recipient: k.recipientPersonId }),
      ...(k.reservationId && { reservationId: k.reservationId }),
    },
  };
}
