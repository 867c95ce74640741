// The service layer: every write to the site data goes through here — the API, CSV import, the CLI
// and future callers (time-limited keys, reservations, SCIM) — so each write is validated the same
// way, raises its domain events, and through them is audited, revoked at once and pushed in
// snapshots. Reads may use the repositories directly.

import { ExplainService } from '../explain/service.ts';
import { ImportJobs } from '../imports/jobs.ts';
import { KeyService } from '../keys/service.ts';
import { MobileService } from '../mobile/service.ts';
import { ReservationService } from '../reservations/service.ts';
import { WebhookService } from '../webhooks/service.ts';
import { CredentialService } from './credentials.ts';
import { CsvService } from './csv.ts';
import { PeopleService } from './people.ts';
import { siteServices } from './site.ts';
import type { ServiceDeps } from './write.ts';

export type { Actor, ServiceDeps } from './write.ts';
export { SYSTEM_ACTOR } from './write.ts';

export function createServices(deps: ServiceDeps) {
  const keys = new KeyService(deps);
  const imports = new ImportJobs(deps);
  const explain = new ExplainService(deps);
  return {
    imports,
    people: new PeopleService(deps),
    credentials: new CredentialService(deps),
    ...siteServices(deps),
    csv: new CsvService(imports),
    keys,
    reservations: new ReservationService(keys, deps.store.db, deps.installationKey),
    webhooks: new WebhookService(deps.store.db, deps.installationKey, deps.clock),
    /** reads, and previews that are rolled back: explains decisions (src/server/explain) */
    explain,
    /** mobile keys: invitations, devices, online opens (attached to alarms and door actions by compose.ts) */
    mobile: new MobileService(deps, explain),
  };
}

export type Services = ReturnType<typeof createServices>;
