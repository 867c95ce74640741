// CSV import through the service layer: the file is checked whole and written all or nothing (see
// csv/import.ts); every row's write raises its events like any other write, published once the
// import is committed — so an imported revocation reaches the controllers at once and every row is
// audited. A dry run and a rejected file publish nothing.

import { credentialsCsv } from '../csv/credentials.ts';
import { type CsvKind, type ImportOptions, type ImportReport, importCsv } from '../csv/import.ts';
import { peopleCsv } from '../csv/people.ts';
import type { DomainEvent } from '../domain/events.ts';
import { type Actor, publish, type ServiceDeps } from './write.ts';

export type CsvImportKind = 'people' | 'credentials';

export class CsvService {
  constructor(private readonly deps: ServiceDeps) {}

  async import(
    kind: CsvImportKind,
    bytes: Uint8Array,
    options: Omit<ImportOptions, 'scope' | 'now' | 'raise'>,
    actor: Actor,
  ): Promise<ImportReport> {
    const spec = (kind === 'credentials' ? credentialsCsv : peopleCsv) as CsvKind<unknown>;
    const events: DomainEvent[] = [];
    const report = await importCsv(spec, this.deps.store.db, this.deps.installationKey, bytes, {
      ...options,
      scope: actor.scope,
      now: this.deps.clock.now(),
      raise: (e) => events.push(e),
    });
    if (report.ok && !report.dryRun) await publish(this.deps, actor, events);
    return report;
  }
}
