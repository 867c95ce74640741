// Audit as a subscriber of the domain events (R-SEC-4): every write to the site data, whoever made it
// — an operator or token through the API, CSV import, the CLI — becomes an audit record with actor,
// source and time (`person.create`, `credential.revoke`, …). Credential registrations and deletions
// also feed the ID-change burst detector, which raises id_change_burst (R-SEC-5). An import job writes
// its rows' records inside its switch transaction instead (imports/pipeline.ts: all or nothing, audit
// included), and publishes them marked `origin.audited`: those are not written twice.

import type { AlarmService } from '../alarms/service.ts';
import type { DomainBus } from '../domain/bus.ts';
import { auditRecordOf } from '../domain/events.ts';
import { AuditLog } from '../storage/audit-log.ts';
import type { Store } from '../storage/db.ts';

/** audit records written per transaction */
const AUDIT_SLICE = 200;

export function auditDomainEvents(
  bus: DomainBus,
  store: Store,
  alarms: AlarmService,
  /** the audit chain key (storage/chain.ts) */
  auditKey: Buffer,
): () => void {
  const log = new AuditLog(store.db, auditKey);
  return bus.subscribe('audit', async (batch) => {
    // An import's switch wrote its records in its own transaction (origin.audited).
    const unaudited = batch.filter(({ origin }) => origin.audited !== true);
    // A big batch (a CSV import) goes in slices of one transaction each, with a pause between them
    // so the server keeps answering while 100,000 records are written. (Only where there is
    // something to write: a pause per slice of an audited import's 100,000 events made its job wait
    // a turn of the event loop 500 times, behind the snapshot rebuild the import had started.)
    for (let i = 0; i < unaudited.length; i += AUDIT_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      await log.appendMany(
        unaudited.slice(i, i + AUDIT_SLICE).map(({ event, origin, at }) => {
          const { action, target, detail } = auditRecordOf(event);
          return { at, actor: origin.actor, source: origin.source, action, target, detail };
        }),
      );
    }
    for (const { event, origin } of batch)
      if (event.type === 'credential.created' || event.type === 'credential.deleted')
        await alarms.idChanged({
          kind: event.type === 'credential.created' ? 'register' : 'delete',
          actor: origin.actor,
          credentialId: event.credential,
        });
  });
}
