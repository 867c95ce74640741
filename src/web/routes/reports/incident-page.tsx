// Incident investigation (/api/reports/incident): given a zone and a window, everyone who was inside
// it at any time in the window — also those who entered before it — with when and through which door
// they entered and left, and the evidence that the history it is built on is complete.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { SelectField } from '../../components/common/fields.tsx';
import { Page } from '../../components/common/page.tsx';
import {
  CompletenessEvidence,
  CsvDownloads,
  LoadMore,
  localDefault,
  ReportForm,
  WindowFields,
  windowQuery,
} from '../../components/report-parts.tsx';
import { useAreas } from '../../hooks/api/areas.ts';
import { type IncidentQuery, type IncidentStay, useIncident } from '../../hooks/api/reports.ts';
import { useFormat } from '../../lib/format.ts';

export function IncidentPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const areas = useAreas();
  const [zone, setZone] = useState('');
  const [from, setFrom] = useState(() => localDefault(format.timeZone, 1));
  const [until, setUntil] = useState(() => localDefault(format.timeZone, -1));
  const [query, setQuery] = useState<IncidentQuery>();
  const report = useIncident(query);
  const first = report.data?.pages[0];
  const stays = report.data?.pages.flatMap((p) => p.stays) ?? [];
  const options = (areas.data ?? [])
    .filter((a) => a.id !== 'outside')
    .map((a) => ({ id: a.id, label: a.name }));
  const areaName = new Map((areas.data ?? []).map((a) => [a.id, a.name]));
  const chosen = zone || options[0]?.id || '';
  const columns: Column<IncidentStay>[] = [
    { key: 'person', header: t('events.person'), cell: (s) => `${s.name} (${s.personId})` },
    { key: 'department', header: t('people.department'), cell: (s) => s.department ?? '—' },
    {
      key: 'areas',
      header: t('reports.areasIn'),
      cell: (s) => s.areas.map((a) => areaName.get(a) ?? a).join(', '),
    },
    {
      key: 'entered',
      header: t('reports.entered'),
      cell: (s) =>
        `${format.dateTime(s.enteredAt)}${s.insideAtStart ? ` (${t('reports.beforeWindow')})` : ''}`,
    },
    { key: 'enteredDoor', header: t('reports.enteredDoor'), cell: (s) => s.enteredDoor ?? '—' },
    { key: 'credential', header: t('events.credential'), cell: (s) => s.credential ?? '—' },
    {
      key: 'left',
      header: t('reports.leftAtCol'),
      cell: (s) => (s.leftAt ? format.dateTime(s.leftAt) : t('reports.stillInside')),
    },
    { key: 'leftDoor', header: t('reports.leftDoor'), cell: (s) => s.leftDoor ?? '—' },
  ];
  return (
    <Page title={t('nav.incident')}>
      <ReportForm
        onSubmit={() => chosen && setQuery({ zone: chosen, ...windowQuery(from, until, format.timeZone) })}
      >
        <SelectField label={t('reports.zone')} value={chosen} onChange={setZone} options={options} />
        <WindowFields from={from} until={until} setFrom={setFrom} setUntil={setUntil} />
      </ReportForm>
      <CsvDownloads path="/api/reports/incident/csv" query={query} />
      <ErrorNotice error={report.error ?? areas.error} />
      {query && first && (
        <>
          <p role="status" className="notice">
            {t('reports.incidentSummary', {
              count: first.people,
              zone: areaName.get(first.zone) ?? first.zone,
              from: format.dateTime(first.from),
              until: format.dateTime(first.until),
            })}
          </p>
          <CompletenessEvidence evidence={first.completeness} />
          <p>{t('reports.evidenceFrom', { when: format.dateTime(first.evidenceFrom) })}</p>
          <DataTable
            caption={t('reports.stays')}
            columns={columns}
            rows={stays}
            rowKey={(s) => `${s.personId}/${s.enteredAt}`}
            empty={t('reports.nobodyInZone')}
          />
          <LoadMore {...report} />
        </>
      )}
    </Page>
  );
}
