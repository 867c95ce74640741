// Occupancy over time (/api/reports/occupancy): for the areas chosen, how many were inside — the
// most at once in each step — as a chart, with the numbers as a table and the CSV. Counts only.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { IdChecklist, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { OccupancyChart } from '../../components/occupancy-chart.tsx';
import {
  CsvDownloads,
  localDefault,
  ReportForm,
  WindowFields,
  windowQuery,
} from '../../components/report-parts.tsx';
import { useAreas } from '../../hooks/api/areas.ts';
import { type OccupancyQuery, type OccupancyReport, useOccupancyReport } from '../../hooks/api/reports.ts';
import { toLocalInput, useFormat } from '../../lib/format.ts';

type Series = OccupancyReport['series'][number];

export function OccupancyPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const areas = useAreas();
  const [chosen, setChosen] = useState<string[]>([]);
  const [from, setFrom] = useState(() => localDefault(format.timeZone, 1));
  // Up to the next full hour: the chart ends at now, not at a flat line into the future.
  const [until, setUntil] = useState(
    () => `${toLocalInput(Date.now() + 3_600_000, format.timeZone).slice(0, 13)}:00`,
  );
  const [step, setStep] = useState('15');
  const [query, setQuery] = useState<OccupancyQuery>();
  const report = useOccupancyReport(query);
  const options = (areas.data ?? [])
    .filter((a) => a.id !== 'outside')
    .map((a) => ({ id: a.id, label: a.name }));
  const picked = chosen.length > 0 ? chosen : options.map((o) => o.id);
  const columns: Column<Series>[] = [
    { key: 'area', header: t('reports.area'), cell: (s) => s.name },
    { key: 'peak', header: t('reports.peak'), cell: (s) => Math.max(0, ...s.points.map((p) => p.peak)) },
    {
      key: 'peakAt',
      header: t('reports.peakAt'),
      cell: (s) => {
        const top = s.points.reduce<Series['points'][number] | undefined>(
          (best, p) => (!best || p.peak > best.peak ? p : best),
          undefined,
        );
        return top && top.peak > 0 ? format.dateTime(top.at) : '—';
      },
    },
    { key: 'last', header: t('reports.insideAtEnd'), cell: (s) => s.points.at(-1)?.inside ?? 0 },
  ];
  return (
    <Page title={t('nav.occupancy')}>
      {areas.isPending ? (
        <Loading />
      ) : (
        <ReportForm
          onSubmit={() =>
            picked.length > 0 &&
            setQuery({
              areas: picked.join(','),
              ...windowQuery(from, until, format.timeZone),
              step: Number(step),
            })
          }
        >
          <WindowFields from={from} until={until} setFrom={setFrom} setUntil={setUntil} />
          <SelectField
            label={t('reports.step')}
            value={step}
            onChange={setStep}
            options={['5', '15', '60', '240', '1440'].map((m) => ({
              id: m,
              label: t('reports.minutes', { count: Number(m) }),
            }))}
          />
          <IdChecklist
            label={t('reports.areasAll')}
            options={options}
            value={chosen}
            onChange={setChosen}
            empty={t('reports.noAreas')}
          />
        </ReportForm>
      )}
      <CsvDownloads path="/api/reports/occupancy/csv" query={query} />
      <ErrorNotice error={report.error ?? areas.error} />
      {query && report.data && (
        <>
          <OccupancyChart
            report={report.data}
            timeZone={format.timeZone}
            label={t('reports.chartLabel', {
              areas: report.data.series.map((s) => s.name).join(', '),
              step: report.data.step,
            })}
          />
          <DataTable
            caption={t('reports.occupancySummary')}
            columns={columns}
            rows={report.data.series}
            rowKey={(s) => s.area}
          />
        </>
      )}
    </Page>
  );
}
