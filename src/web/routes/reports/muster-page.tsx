// Muster (点呼): who is inside each area now — for an evacuation — and, given an alarm or a time, who
// has left since; with the CSV download (UTF-8 or Shift_JIS) and the page to print.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { type MusterEntry, useMuster } from '../../hooks/api/reports.ts';
import { fromLocalInput, useFormat } from '../../lib/format.ts';

export function MusterPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [since, setSince] = useState('');
  const query: Record<string, string> = since ? { since: fromLocalInput(since, format.timeZone) } : {};
  const muster = useMuster(query);
  const download = (encoding: string) =>
    `/api/reports/muster/csv?${new URLSearchParams({ ...query, encoding, header: t('reports.csvHeader') })}`;
  const columns = (at: string): Column<MusterEntry>[] => [
    { key: 'person', header: t('events.person'), cell: (e) => `${e.name} (${e.personId})` },
    { key: 'department', header: t('people.department'), cell: (e) => e.department ?? '—' },
    { key: 'area', header: t('reports.area'), cell: (e) => e.areaName },
    { key: 'at', header: at, cell: (e) => format.dateTime(e.at) },
    { key: 'door', header: t('events.door'), cell: (e) => e.door ?? '—' },
  ];
  const data = muster.data;
  return (
    <Page title={t('nav.muster')}>
      <search className="toolbar">
        <Field
          label={t('reports.leftSince', { zone: format.timeZone })}
          description={t('reports.leftSinceHelp')}
          type="datetime-local"
          value={since}
          onChange={setSince}
        />
      </search>
      <div className="row">
        <a className="button button-secondary" href={download('utf-8')} download>
          {t('reports.csvUtf8')}
        </a>
        <a className="button button-secondary" href={download('shift_jis')} download>
          {t('reports.csvSjis')}
        </a>
        <a
          className="button button-secondary"
          href={`/api/reports/muster/print?${new URLSearchParams(query)}`}
          target="_blank"
          rel="noopener"
        >
          {t('reports.print')}
        </a>
      </div>
      <ErrorNotice error={muster.error} />
      {muster.isPending ? (
        <Loading />
      ) : (
        data && (
          <>
            <p role="status" className="notice">
              {t('reports.musterSummary', { count: data.inside.length, when: format.dateTime(data.at) })}
            </p>
            <ul className="muster-areas" aria-label={t('reports.byArea')}>
              {data.areas.map((a) => (
                <li key={a.id}>
                  {a.name}: {t('reports.insideCount', { count: a.inside })}
                </li>
              ))}
            </ul>
            <DataTable
              caption={t('reports.inside')}
              columns={columns(t('reports.insideSince'))}
              rows={data.inside}
              rowKey={(e) => `${e.personId}/${e.area}`}
              empty={t('reports.nobodyInside')}
            />
            {data.since !== null && (
              <>
                <h2>{t('reports.left', { when: format.dateTime(data.since) })}</h2>
                <DataTable
                  caption={t('reports.left', { when: format.dateTime(data.since) })}
                  columns={columns(t('reports.leftAt'))}
                  rows={data.left}
                  rowKey={(e) => `${e.personId}/${e.area}/${e.at}`}
                  empty={t('reports.nobodyLeft')}
                />
              </>
            )}
          </>
        )
      )}
    </Page>
  );
}
