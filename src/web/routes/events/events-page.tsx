// Events: every decision, door and alarm event, newest first; filter by person, door, area, type
// and time (in the site's time zone). "Live" follows the last 15 minutes as they happen (up to 1,000
// events: the API pages forward in time only, so newest-first over a longer span needs a
// descending order the API does not offer yet).
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { CheckboxField, Field, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { WindowFields } from '../../components/report-parts.tsx';
import { type AccessEvent, type EventQuery, useEvents } from '../../hooks/api/events.ts';
import { fromLocalInput, useFormat } from '../../lib/format.ts';

const TYPES = ['', 'access', 'door', 'alarm', 'operator'] as const;

export function eventSummary(
  event: AccessEvent,
  t: (key: string, options?: Record<string, unknown>) => string,
): string {
  if (event.type === 'access') {
    const result = event.result === 'grant' ? t('events.granted') : t('events.denied');
    const reason =
      event.result === 'grant' || !event.reason
        ? ''
        : ` — ${t(`reason.${event.reason}`, { defaultValue: event.reason })}`;
    return `${result}${reason}`;
  }
  if (event.type === 'alarm' && event.alarm)
    return t(`alarmType.${event.alarm}`, { defaultValue: event.alarm });
  const phase = (event.detail as Record<string, unknown>).phase;
  if (event.type === 'door' && typeof phase === 'string')
    return t(`doorPhase.${phase}`, { defaultValue: phase });
  return t(`eventType.${event.type}`, { defaultValue: event.type });
}

export function EventsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [live, setLive] = useState(true);
  const [person, setPerson] = useState('');
  const [door, setDoor] = useState('');
  const [type, setType] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  // Live: the last 15 minutes, re-read as they grow; the window moves once a minute so the key is stable.
  const minute = Math.floor(Date.now() / 60_000);
  const query: EventQuery = useMemo(
    () => ({
      ...(person.trim() && { person: person.trim() }),
      ...(door.trim() && { door: door.trim() }),
      ...(type && { type: type as NonNullable<EventQuery['type']> }),
      ...(live
        ? { from: new Date((minute - 15) * 60_000).toISOString(), limit: 1000 }
        : {
            ...(from && { from: fromLocalInput(from, format.timeZone) }),
            ...(until && { until: fromLocalInput(until, format.timeZone) }),
          }),
    }),
    [person, door, type, live, from, until, minute, format.timeZone],
  );
  const events = useEvents(query, { live });
  const rows = (events.data?.pages.flatMap((p) => p.items) ?? []).slice().reverse();

  const columns: Column<AccessEvent>[] = [
    { key: 'at', header: t('events.at'), cell: (e) => <time dateTime={e.at}>{format.dateTime(e.at)}</time> },
    { key: 'what', header: t('events.what'), cell: (e) => eventSummary(e, t) },
    { key: 'door', header: t('events.door'), cell: (e) => e.doorName ?? e.door ?? '—' },
    {
      key: 'person',
      header: t('events.person'),
      cell: (e) =>
        e.personId ? (
          <Link to={`/people/${encodeURIComponent(e.personId)}`}>
            {e.personName ? `${e.personName} (${e.personId})` : e.personId}
          </Link>
        ) : (
          '—'
        ),
    },
    { key: 'credential', header: t('events.credential'), cell: (e) => e.credential ?? '—' },
    { key: 'controller', header: t('events.controller'), cell: (e) => e.controllerId },
  ];

  return (
    <Page title={t('events.title')}>
      <search className="toolbar">
        <CheckboxField isSelected={live} onChange={setLive}>
          {t('events.live')}
        </CheckboxField>
        <Field label={t('events.person')} value={person} onChange={setPerson} />
        <Field label={t('events.door')} value={door} onChange={setDoor} />
        <SelectField
          label={t('events.type')}
          value={type}
          onChange={setType}
          options={TYPES.map((id) => ({ id, label: id ? t(`eventType.${id}`) : t('events.allTypes') }))}
        />
        {!live && <WindowFields from={from} until={until} setFrom={setFrom} setUntil={setUntil} />}
      </search>
      <ErrorNotice error={events.error} />
      {events.isPending ? (
        <Loading />
      ) : (
        <>
          <DataTable
            caption={t('events.title')}
            columns={columns}
            rows={rows}
            rowKey={(e) => String(e.id)}
            empty={t('events.none')}
          />
          {events.hasNextPage && (
            <Button onPress={() => events.fetchNextPage()} isDisabled={events.isFetchingNextPage}>
              {t('common.loadMore')}
            </Button>
          )}
        </>
      )}
    </Page>
  );
}
