// The parts every report page shares: the CSV downloads (UTF-8 with a byte order mark for Excel, or
// Shift_JIS for attendance systems and older tools; column names in the console's language), "more"
// for paged reports, a time window in the site's zone, and the completeness evidence of the zone and
// incident reports (sequence gaps per controller, events still at the controller, chain status).
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { type Completeness, csvHref } from '../hooks/api/reports.ts';
import { fromLocalInput, toLocalInput, useFormat } from '../lib/format.ts';
import { Button } from './common/button.tsx';
import { Field } from './common/fields.tsx';

export function CsvDownloads({ path, query }: { path: string; query: object | undefined }) {
  const { t } = useTranslation();
  if (!query) return null;
  const header = t('reports.csvHeader');
  return (
    <div className="row">
      <a className="button button-secondary" href={csvHref(path, query, 'utf-8', header)} download>
        {t('reports.csvUtf8')}
      </a>
      <a className="button button-secondary" href={csvHref(path, query, 'shift_jis', header)} download>
        {t('reports.csvSjis')}
      </a>
    </div>
  );
}

export function LoadMore({
  hasNextPage,
  isFetchingNextPage,
  fetchNextPage,
}: {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}) {
  const { t } = useTranslation();
  if (!hasNextPage) return null;
  return (
    <Button onPress={() => fetchNextPage()} isDisabled={isFetchingNextPage}>
      {isFetchingNextPage ? t('common.loading') : t('reports.more')}
    </Button>
  );
}

/** A report's filters: a form whose submit asks for the report (each first page is an audited read). */
export function ReportForm({ onSubmit, children }: { onSubmit: () => void; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <form
      className="toolbar report-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
      <Button type="submit" variant="primary">
        {t('reports.show')}
      </Button>
    </form>
  );
}

/**
 * A datetime-local value: midnight `daysAgo` days ago in the site's zone (-1: tomorrow's midnight, the
 * end of today, so what happened seconds ago is inside the window).
 */
export function localDefault(timeZone: string, daysAgo: number): string {
  return `${toLocalInput(Date.now() - daysAgo * 86_400_000, timeZone).slice(0, 10)}T00:00`;
}

/** A from/until pair in the site's zone: a search window (`events`) or a key's validity (`keys`). */
export function WindowFields({
  from,
  until,
  setFrom,
  setUntil,
  labels = 'events',
}: {
  from: string;
  until: string;
  setFrom: (v: string) => void;
  setUntil: (v: string) => void;
  labels?: 'events' | 'keys';
}) {
  const { t } = useTranslation();
  const { timeZone } = useFormat();
  const [fromKey, untilKey] =
    labels === 'keys' ? ['keys.validFrom', 'keys.validUntil'] : ['events.from', 'events.until'];
  return (
    <>
      <Field label={t(fromKey, { zone: timeZone })} type="datetime-local" value={from} onChange={setFrom} />
      <Field
        label={t(untilKey, { zone: timeZone })}
        type="datetime-local"
        value={until}
        onChange={setUntil}
      />
    </>
  );
}

export const windowQuery = (from: string, until: string, timeZone: string) => ({
  from: fromLocalInput(from, timeZone),
  until: fromLocalInput(until, timeZone),
});

/** Whether the report can be trusted to be complete, and if not, exactly why, per controller. */
export function CompletenessEvidence({ evidence }: { evidence: Completeness | null | undefined }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (!evidence) return null;
  return (
    <section className="completeness" aria-labelledby="completeness-title">
      <h2 id="completeness-title">{t('reports.completeness')}</h2>
      <p role="status" className={`notice ${evidence.complete ? 'notice-success' : 'notice-error'}`}>
        {evidence.complete ? t('reports.complete') : t('reports.incomplete')}
      </p>
      {evidence.anchorProblems.length > 0 && (
        <ul>
          {evidence.anchorProblems.map((p) => (
            <li key={p}>{t('reports.anchorProblem', { problem: p })}</li>
          ))}
        </ul>
      )}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <section className="table-wrap" aria-label={t('reports.completenessTable')} tabIndex={0}>
        <table className="data-table">
          <caption className="visually-hidden">{t('reports.completenessTable')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('reports.controller')}</th>
              <th scope="col">{t('reports.eventsCount')}</th>
              <th scope="col">{t('reports.seqRange')}</th>
              <th scope="col">{t('reports.gaps')}</th>
              <th scope="col">{t('reports.pending')}</th>
              <th scope="col">{t('reports.chain')}</th>
              <th scope="col">{t('reports.lastSeen')}</th>
            </tr>
          </thead>
          <tbody>
            {evidence.controllers.length === 0 && (
              <tr>
                <td colSpan={7} className="empty">
                  {t('reports.noControllers')}
                </td>
              </tr>
            )}
            {evidence.controllers.map((c) => (
              <tr key={c.controllerId}>
                <th scope="row">{c.controllerId}</th>
                <td>{c.events}</td>
                <td>{c.firstSeq === null ? '—' : `${c.firstSeq}–${c.lastSeq}`}</td>
                <td>
                  {c.gaps.length === 0
                    ? t('reports.noGaps')
                    : c.gaps.map((g) => (g.from === g.to ? `${g.from}` : `${g.from}–${g.to}`)).join(', ')}
                </td>
                <td>{c.pendingAtController ?? '—'}</td>
                <td>
                  {c.chain.problems.length === 0
                    ? t('reports.chainOk', { count: c.chain.checked })
                    : c.chain.problems
                        .map((p) => t(`reports.chainProblem.${p.problem}`, { from: p.from, to: p.to }))
                        .join('; ')}
                  {' · '}
                  {c.chain.anchored ? t('reports.anchored') : t('reports.notAnchored')}
                </td>
                <td>{format.dateTime(c.lastSeenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}
