// Event search and export (/api/reports/events): filters by person, door, area, type, result,
// reason, credential and a window in the site's zone; the rows a page at a time, and the whole
// result as CSV (UTF-8 with BOM or Shift_JIS), streamed by the server.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Page } from '../../components/common/page.tsx';
import {
  CsvDownloads,
  LoadMore,
  localDefault,
  ReportForm,
  WindowFields,
  windowQuery,
} from '../../components/report-parts.tsx';
import type { AccessEvent } from '../../hooks/api/events.ts';
import { type EventExportQuery, useEventExport } from '../../hooks/api/reports.ts';
import { useFormat } from '../../lib/format.ts';
import { eventSummary } from '../events/events-page.tsx';

const TYPES = ['', 'access', 'door', 'alarm', 'operator', 'reader', 'device', 'insecure_credential'] as const;

export function EventExportPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [from, setFrom] = useState(() => localDefault(format.timeZone, 7));
  const [until, setUntil] = useState(() => localDefault(format.timeZone, -1));
  const [person, setPerson] = useState('');
  const [door, setDoor] = useState('');
  const [type, setType] = useState('');
  const [result, setResult] = useState('');
  const [credential, setCredential] = useState('');
  const [query, setQuery] = useState<EventExportQuery>();
  const report = useEventExport(query);
  const rows = report.data?.pages.flatMap((p) => p.items) ?? [];
  const columns: Column<AccessEvent>[] = [
    { key: 'at', header: t('events.at'), cell: (e) => format.dateTime(e.at) },
    { key: 'what', header: t('events.what'), cell: (e) => eventSummary(e, t) },
    {
      key: 'person',
      header: t('events.person'),
      cell: (e) => (e.personId ? `${e.personName ?? ''} (${e.personId})` : '—'),
    },
    { key: 'credential', header: t('events.credential'), cell: (e) => e.credential ?? '—' },
    { key: 'door', header: t('events.door'), cell: (e) => e.doorName ?? e.door ?? '—' },
    { key: 'controller', header: t('events.controller'), cell: (e) => `${e.controllerId} #${e.seq}` },
  ];
  return (
    <Page title={t('nav.eventExport')}>
      <ReportForm
        onSubmit={() =>
          setQuery({
            ...windowQuery(from, until, format.timeZone),
            ...(person.trim() && { person: person.trim() }),
            ...(door.trim() && { door: door.trim() }),
            ...(credential.trim() && { credential: credential.trim() }),
            ...(type && { type: type as NonNullable<EventExportQuery['type']> }),
            ...(result && { result: result as 'grant' | 'deny' }),
          })
        }
      >
        <WindowFields from={from} until={until} setFrom={setFrom} setUntil={setUntil} />
        <Field label={t('reports.personId')} value={person} onChange={setPerson} />
        <Field label={t('reports.doorIds')} value={door} onChange={setDoor} />
        <Field
          label={t('events.credential')}
          description={t('reports.credentialHelp')}
          value={credential}
          onChange={setCredential}
        />
        <SelectField
          label={t('events.type')}
          value={type}
          onChange={setType}
          options={TYPES.map((ty) => ({ id: ty, label: ty ? t(`eventType.${ty}`) : t('events.allTypes') }))}
        />
        <SelectField
          label={t('reports.result')}
          value={result}
          onChange={setResult}
          options={[
            { id: '', label: t('reports.anyResult') },
            { id: 'grant', label: t('events.granted') },
            { id: 'deny', label: t('events.denied') },
          ]}
        />
      </ReportForm>
      <CsvDownloads path="/api/reports/events/csv" query={query} />
      <ErrorNotice error={report.error} />
      {query && report.data && (
        <>
          <p role="status" className="notice">
            {t('reports.rowsShown', { count: rows.length })}
          </p>
          <DataTable
            caption={t('nav.eventExport')}
            columns={columns}
            rows={rows}
            rowKey={(e) => String(e.id)}
            empty={t('events.none')}
          />
          <LoadMore {...report} />
        </>
      )}
    </Page>
  );
}
