// Access review (アクセス権の棚卸, /api/reports/access-review): who can enter an area or a door, and
// how (a level held directly, or through a group), since when; a reviewer records a checkpoint of
// what they saw, and the next review shows only what was added or removed since.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Page, WriteOnly } from '../../components/common/page.tsx';
import { CsvDownloads, LoadMore, ReportForm } from '../../components/report-parts.tsx';
import { useAreas } from '../../hooks/api/areas.ts';
import { useDoors } from '../../hooks/api/doors.ts';
import {
  type AccessReviewChange,
  type AccessReviewEntry,
  type ReviewSubject,
  useAccessReview,
  useAccessReviewChanges,
  useAccessReviewCheckpoints,
  useCreateCheckpoint,
} from '../../hooks/api/reports.ts';
import { useFormat } from '../../lib/format.ts';

export function AccessReviewPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const areas = useAreas();
  const doors = useDoors();
  const [kind, setKind] = useState<'area' | 'door'>('area');
  const [id, setId] = useState('');
  const [subject, setSubject] = useState<ReviewSubject>();
  const [note, setNote] = useState('');
  const report = useAccessReview(subject);
  const checkpoints = useAccessReviewCheckpoints(subject);
  const latest = checkpoints.data?.[0];
  const changes = useAccessReviewChanges(subject, latest !== undefined);
  const record = useCreateCheckpoint();
  const rows = report.data?.pages.flatMap((p) => p.items) ?? [];
  const options =
    kind === 'area'
      ? (areas.data ?? []).filter((a) => a.id !== 'outside').map((a) => ({ id: a.id, label: a.name }))
      : (doors.data ?? []).map((d) => ({ id: d.id, label: d.name }));
  const chosen = options.some((o) => o.id === id) ? id : (options[0]?.id ?? '');
  const columns: Column<AccessReviewEntry>[] = [
    { key: 'person', header: t('events.person'), cell: (r) => `${r.name} (${r.personId})` },
    { key: 'department', header: t('people.department'), cell: (r) => r.department ?? '—' },
    {
      key: 'active',
      header: t('reports.active'),
      cell: (r) => (r.active ? t('common.yes') : t('reports.hasLeft')),
    },
    { key: 'door', header: t('events.door'), cell: (r) => r.doorId },
    { key: 'via', header: t('reports.via'), cell: (r) => (r.group ? `${r.group} → ${r.level}` : r.level) },
    { key: 'schedule', header: t('reports.schedule'), cell: (r) => r.schedule ?? t('reports.always') },
    { key: 'since', header: t('reports.since'), cell: (r) => format.dateTime(r.since) },
  ];
  const changeColumns: Column<AccessReviewChange>[] = [
    { key: 'change', header: t('reports.change'), cell: (c) => t(`reports.changeKind.${c.change}`) },
    { key: 'person', header: t('events.person'), cell: (c) => `${c.name ?? ''} (${c.personId})` },
    { key: 'door', header: t('events.door'), cell: (c) => c.doorId },
    { key: 'via', header: t('reports.via'), cell: (c) => c.via },
  ];
  return (
    <Page write="reviews:write" title={t('nav.accessReview')}>
      <ReportForm
        onSubmit={() => chosen && setSubject(kind === 'area' ? { area: chosen } : { door: chosen })}
      >
        <SelectField
          label={t('reports.reviewBy')}
          value={kind}
          onChange={(v) => setKind(v as 'area' | 'door')}
          options={[
            { id: 'area', label: t('reports.area') },
            { id: 'door', label: t('events.door') },
          ]}
        />
        <SelectField
          label={kind === 'area' ? t('reports.area') : t('events.door')}
          value={chosen}
          onChange={setId}
          options={options}
        />
      </ReportForm>
      <CsvDownloads path="/api/reports/access-review/csv" query={subject} />
      <ErrorNotice error={report.error ?? checkpoints.error ?? changes.error} />
      {subject && report.data && (
        <>
          <p role="status" className="notice">
            {t('reports.reviewTotal', { count: report.data.pages[0]?.total ?? 0 })}
          </p>
          <DataTable
            caption={t('reports.whoCanEnter')}
            columns={columns}
            rows={rows}
            rowKey={(r) => `${r.personId}/${r.doorId}/${r.via}`}
            empty={t('reports.nobodyCanEnter')}
          />
          <LoadMore {...report} />
          <section aria-labelledby="review-checkpoints">
            <h2 id="review-checkpoints">{t('reports.checkpoints')}</h2>
            {latest ? (
              <>
                <p>
                  {t('reports.latestCheckpoint', {
                    when: format.dateTime(latest.at),
                    actor: latest.actor,
                    note: latest.note ?? '—',
                  })}
                </p>
                {changes.data && (
                  <DataTable
                    caption={t('reports.changesSince')}
                    columns={changeColumns}
                    rows={changes.data.changes}
                    rowKey={(c) => `${c.change}/${c.personId}/${c.doorId}/${c.via}`}
                    empty={t('reports.noChanges')}
                  />
                )}
              </>
            ) : (
              <p>{t('reports.noCheckpoint')}</p>
            )}
            <WriteOnly>
              <form
                className="toolbar"
                onSubmit={(e) => {
                  e.preventDefault();
                  record.mutate(
                    { ...subject, ...(note.trim() && { note: note.trim() }) },
                    { onSuccess: () => setNote('') },
                  );
                }}
              >
                <Field label={t('reports.checkpointNote')} value={note} onChange={setNote} />
                <Button type="submit" isDisabled={record.isPending}>
                  {t('reports.recordCheckpoint')}
                </Button>
              </form>
            </WriteOnly>
            <ErrorNotice error={record.error} />
            {record.data && (
              <p role="status" className="notice notice-success">
                {t('reports.checkpointRecorded', { count: record.data.entries })}
              </p>
            )}
          </section>
        </>
      )}
    </Page>
  );
}
