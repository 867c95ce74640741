// CSV import and export (/api/csv/people, /api/csv/credentials): all or nothing, with every row's
// error listed; UTF-8 or Shift_JIS (detected, or as chosen). Exports are plain downloads.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { uploadCsv } from '../../api/client.ts';
import type { components } from '../../api/schema.gen.ts';
import { credentialKeys } from './credentials.ts';
import { peopleKeys } from './people.ts';

export type CsvKind = 'people' | 'credentials';
export type CsvReport = components['schemas']['CsvImportReport'];

export function useCsvImport() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({
      kind,
      file,
      encoding,
      dryRun,
    }: {
      kind: CsvKind;
      file: Blob;
      encoding: 'auto' | 'utf-8' | 'shift_jis';
      dryRun: boolean;
    }) => uploadCsv<CsvReport>(`/api/csv/${kind}`, file, { encoding, dryRun: String(dryRun) }),
    onSuccess: (report) =>
      report.dryRun
        ? undefined
        : client.invalidateQueries({
            queryKey: report.kind === 'people' ? peopleKeys.all : credentialKeys.all,
          }),
  });
}

export function csvExportUrl(kind: CsvKind, options: { bom: boolean }): string {
  return `/api/csv/${kind}?bom=${options.bom}`;
}
