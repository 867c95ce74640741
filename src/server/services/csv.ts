// CSV import through the service layer: an import job (server/imports/) that checks the file whole
// and writes it all or nothing in one switch; every row's write raises its events like any other
// write, published once the switch committed — so an imported revocation reaches the controllers at
// once and every row is audited. A dry run and a rejected file publish nothing. This waits for the
// job's end (the CLI on the host, POST /api/csv/*); the job resource (/api/import-jobs) does not.

import type { ImportOptions, ImportReport } from '../csv/import.ts';
import type { ImportJobs, ImportJobView } from '../imports/jobs.ts';
import type { Actor } from './write.ts';

export type CsvImportKind = 'people' | 'credentials';

export class CsvService {
  constructor(private readonly jobs: ImportJobs) {}

  async import(
    kind: CsvImportKind,
    bytes: Uint8Array,
    options: Pick<ImportOptions, 'encoding' | 'timezone' | 'dryRun' | 'givenPinCodes' | 'maxErrors'> & {
      onProgress?: (done: number, total: number, phase: string) => void;
    },
    actor: Actor,
  ): Promise<ImportReport> {
    const { onProgress, ...rest } = options;
    const started = this.jobs.start(
      kind,
      bytes,
      {
        ...rest,
        ...(onProgress && {
          onProgress: (view: ImportJobView) => onProgress(view.done, view.total, view.phase),
        }),
      },
      actor,
    );
    const job = (await this.jobs.wait(started.id, actor))!;
    if (!job.report) throw new Error(job.error ?? 'the import ended without a report');
    return { ...job.report, changes: [] };
  }
}
