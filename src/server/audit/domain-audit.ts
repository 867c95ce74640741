// Audit as a subscriber of the domain events (R-SEC-4): every write to the site data, whoever made it
// — an operator or token through the API, CSV import, the CLI — becomes an audit record with actor,
// source and time (`person.create`, `credential.revoke`, …). Credential registrations and deletions
// also feed the ID-change burst detector, which raises id_change_burst (R-SEC-5).

import type { AlarmService } from '../alarms/service.ts';
import type { DomainBus } from '../domain/bus.ts';
import { auditRecordOf } from '../domain/events.ts';
import type { Store } from '../storage/db.ts';
import { recordAudit } from './store.ts';

export function auditDomainEvents(bus: DomainBus, store: Store, alarms: AlarmService): () => void {
  return bus.subscribe('audit', async (batch) => {
    for (const { event, origin, at } of batch) {
      const { action, target, detail } = auditRecordOf(event);
      await recordAudit(store.db, { at, actor: origin.actor, source: origin.source, action, target, detail });
      if (event.type === 'credential.created' || event.type === 'credential.deleted')
        await alarms.idChanged({
          kind: event.type === 'credential.created' ? 'register' : 'delete',
          actor: origin.actor,
          credentialId: event.credential,
        });
    }
  });
}
