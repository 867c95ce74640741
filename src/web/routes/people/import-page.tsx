// CSV import for people or credentials: UTF-8 or Shift_JIS (as Japanese Excel writes it), a dry run
// that checks every row first, and every error listed by row and column. All or nothing.
import { type FormEvent, useState } from 'react';
import { FileTrigger, Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError } from '../../api/client.ts';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { SelectField } from '../../components/common/fields.tsx';
import { Page, WriteOnly } from '../../components/common/page.tsx';
import { type CsvKind, useCsvImport } from '../../hooks/api/csv.ts';

type RowError = { row: number; line?: number; column?: string; reason: string };

export function ImportPage() {
  const { t } = useTranslation();
  const upload = useCsvImport();
  const [kind, setKind] = useState<CsvKind>('people');
  const [encoding, setEncoding] = useState<'auto' | 'utf-8' | 'shift_jis'>('auto');
  const [file, setFile] = useState<File>();

  const run = (dryRun: boolean) => {
    if (file) upload.mutate({ kind, file, encoding, dryRun });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    run(false);
  };
  const rows: RowError[] = upload.error instanceof ApiError ? (upload.error.body?.rows ?? []) : [];
  const columns: Column<RowError>[] = [
    { key: 'row', header: t('csv.row'), className: 'num', cell: (r) => r.row },
    { key: 'column', header: t('csv.column'), cell: (r) => r.column ?? '—' },
    { key: 'reason', header: t('csv.reason'), cell: (r) => r.reason },
  ];

  return (
    <Page
      write="people:write"
      title={t('csv.importTitle')}
      actions={<Link to="/people">{t('people.back')}</Link>}
    >
      <p>{t('csv.intro')}</p>
      <WriteOnly>
        <Form onSubmit={submit} className="form">
          <SelectField
            label={t('csv.kind')}
            value={kind}
            onChange={(v) => setKind(v as CsvKind)}
            options={[
              { id: 'people', label: t('csv.kindPeople') },
              { id: 'credentials', label: t('csv.kindCredentials') },
            ]}
          />
          <SelectField
            label={t('csv.encoding')}
            value={encoding}
            onChange={(v) => setEncoding(v as typeof encoding)}
            options={[
              { id: 'auto', label: t('csv.encodingAuto') },
              { id: 'utf-8', label: 'UTF-8' },
              { id: 'shift_jis', label: 'Shift_JIS (CP932)' },
            ]}
          />
          <div className="row">
            <FileTrigger
              acceptedFileTypes={['.csv', 'text/csv']}
              onSelect={(files) => setFile(files?.[0] ?? undefined)}
            >
              <Button>{t('csv.chooseFile')}</Button>
            </FileTrigger>
            <span>{file ? file.name : t('csv.noFile')}</span>
          </div>
          {upload.isPending && <p role="status">{t('csv.working')}</p>}
          {upload.data && (
            <p role="status" className="notice notice-success">
              {upload.data.dryRun
                ? t('csv.checked', {
                    rows: upload.data.rows,
                    created: upload.data.created,
                    updated: upload.data.updated,
                  })
                : t('csv.imported', {
                    rows: upload.data.rows,
                    created: upload.data.created,
                    updated: upload.data.updated,
                  })}
              {upload.data.encoding && ` (${upload.data.encoding})`}
            </p>
          )}
          <ErrorNotice error={upload.error} />
          {rows.length > 0 && (
            <DataTable
              caption={t('csv.errors')}
              columns={columns}
              rows={rows}
              rowKey={(r) => `${r.row}:${r.column}:${r.reason}`}
            />
          )}
          <div className="row">
            <Button onPress={() => run(true)} isDisabled={!file || upload.isPending}>
              {t('csv.dryRun')}
            </Button>
            <Button type="submit" variant="primary" isDisabled={!file || upload.isPending}>
              {t('csv.importNow')}
            </Button>
          </div>
        </Form>
      </WriteOnly>
    </Page>
  );
}
