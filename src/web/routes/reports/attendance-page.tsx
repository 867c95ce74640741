// Attendance (勤怠, /api/reports/attendance): first in and last out per person and local day, or
// totals per person and month; which areas count as at work is the server's setting unless named
// here. The CSV is shaped for the import of common attendance systems.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Page, WriteOnly, WriteScope } from '../../components/common/page.tsx';
import { CsvDownloads, LoadMore, ReportForm } from '../../components/report-parts.tsx';
import { type AttendanceQuery, type AttendanceReport, useAttendance } from '../../hooks/api/reports.ts';
import { toLocalInput, useFormat } from '../../lib/format.ts';
import { WorkAreasSettings } from './work-areas-settings.tsx';

type Day = AttendanceReport['days'][number];
type Month = AttendanceReport['months'][number];

const hours = (minutes: number) => `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;

export function AttendancePage() {
  const { t } = useTranslation();
  const format = useFormat();
  const today = toLocalInput(Date.now(), format.timeZone).slice(0, 10);
  const [from, setFrom] = useState(`${today.slice(0, 8)}01`);
  const [to, setTo] = useState(today);
  const [view, setView] = useState<'daily' | 'monthly'>('daily');
  const [department, setDepartment] = useState('');
  const [areas, setAreas] = useState('');
  const [query, setQuery] = useState<AttendanceQuery>();
  const report = useAttendance(query);
  const days = report.data?.pages.flatMap((p) => p.days) ?? [];
  const months = report.data?.pages.flatMap((p) => p.months) ?? [];
  const person = (r: Day | Month) => `${r.name} (${r.personId})`;
  const dayColumns: Column<Day>[] = [
    { key: 'person', header: t('events.person'), cell: person },
    { key: 'department', header: t('people.department'), cell: (r) => r.department ?? '—' },
    { key: 'date', header: t('reports.date'), cell: (r) => r.date },
    {
      key: 'in',
      header: t('reports.firstIn'),
      cell: (r) => `${format.time(r.firstIn)} ${r.firstInDoor ?? ''}`,
    },
    {
      key: 'out',
      header: t('reports.lastOut'),
      cell: (r) =>
        r.lastOut
          ? `${format.dateTime(r.lastOut)} ${r.lastOutDoor ?? ''}`
          : r.stillInside
            ? t('reports.stillInside')
            : '—',
    },
    { key: 'minutes', header: t('reports.present'), cell: (r) => hours(r.minutes) },
  ];
  const monthColumns: Column<Month>[] = [
    { key: 'person', header: t('events.person'), cell: person },
    { key: 'department', header: t('people.department'), cell: (r) => r.department ?? '—' },
    { key: 'month', header: t('reports.month'), cell: (r) => r.month },
    { key: 'days', header: t('reports.daysPresent'), cell: (r) => r.daysPresent },
    { key: 'minutes', header: t('reports.present'), cell: (r) => hours(r.minutes) },
    { key: 'range', header: t('reports.firstLastDay'), cell: (r) => `${r.firstDay} – ${r.lastDay}` },
  ];
  return (
    <Page title={t('nav.attendance')}>
      <WriteScope write="site:write">
        <WriteOnly>
          <WorkAreasSettings />
        </WriteOnly>
      </WriteScope>
      <ReportForm
        onSubmit={() =>
          setQuery({
            from,
            to,
            view,
            ...(department.trim() && { department: department.trim() }),
            ...(areas.trim() && { areas: areas.trim() }),
          })
        }
      >
        <Field label={t('reports.fromDate')} type="date" value={from} onChange={setFrom} />
        <Field label={t('reports.toDate')} type="date" value={to} onChange={setTo} />
        <SelectField
          label={t('reports.view')}
          value={view}
          onChange={(v) => setView(v as 'daily' | 'monthly')}
          options={[
            { id: 'daily', label: t('reports.daily') },
            { id: 'monthly', label: t('reports.monthly') },
          ]}
        />
        <Field label={t('people.department')} value={department} onChange={setDepartment} />
        <Field
          label={t('reports.workAreas')}
          description={t('reports.workAreasHelp')}
          value={areas}
          onChange={setAreas}
        />
      </ReportForm>
      <CsvDownloads path="/api/reports/attendance/csv" query={query} />
      <ErrorNotice error={report.error} />
      {query &&
        report.data &&
        (query.view === 'monthly' ? (
          <DataTable
            caption={t('reports.monthly')}
            columns={monthColumns}
            rows={months}
            rowKey={(r) => `${r.personId}/${r.month}`}
            empty={t('reports.noAttendance')}
          />
        ) : (
          <DataTable
            caption={t('reports.daily')}
            columns={dayColumns}
            rows={days}
            rowKey={(r) => `${r.personId}/${r.date}`}
            empty={t('reports.noAttendance')}
          />
        ))}
      <LoadMore {...report} />
    </Page>
  );
}
