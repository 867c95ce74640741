// Holiday calendars: named lists of dates (元日, 成人の日, company days off) that schedules refer to.
import { type FormEvent, useRef, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { EditPanel } from '../../components/common/edit-panel.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { RowActions } from '../../components/common/row-actions.tsx';
import {
  type HolidayCalendar,
  useCreateHolidayCalendar,
  useDeleteHolidayCalendar,
  useHolidayCalendars,
  useUpdateHolidayCalendar,
} from '../../hooks/api/holidays.ts';

export function HolidaysPage() {
  const { t } = useTranslation();
  const calendars = useHolidayCalendars();
  const remove = useDeleteHolidayCalendar();
  const [editing, setEditing] = useState<HolidayCalendar | 'new'>();
  const columns: Column<HolidayCalendar>[] = [
    { key: 'id', header: t('common.id'), cell: (c) => c.id },
    { key: 'name', header: t('common.name'), cell: (c) => c.name },
    { key: 'dates', header: t('holidays.dates'), className: 'num', cell: (c) => c.dates.length },
    {
      key: 'next',
      header: t('holidays.sample'),
      cell: (c) =>
        c.dates
          .slice(0, 3)
          .map((d) => `${d.date} ${d.name}`)
          .join(', '),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (c) => (
        <RowActions
          name={c.name}
          onEdit={() => setEditing(c)}
          onDelete={() => remove.mutateAsync(c.id)}
          deleteEffect={t('holidays.deleteEffect')}
        />
      ),
    },
  ];
  return (
    <Page
      write="site:write"
      title={t('nav.holidays')}
      actions={
        <Button variant="primary" onPress={() => setEditing('new')}>
          {t('holidays.new')}
        </Button>
      }
    >
      <ErrorNotice error={calendars.error ?? remove.error} />
      {calendars.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('nav.holidays')}
          columns={columns}
          rows={calendars.data ?? []}
          rowKey={(c) => c.id}
        />
      )}
      {editing && (
        <EditPanel
          title={editing === 'new' ? t('holidays.new') : editing.name}
          onClose={() => setEditing(undefined)}
        >
          <CalendarForm
            key={editing === 'new' ? 'new' : editing.id}
            calendar={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(undefined)}
          />
        </EditPanel>
      )}
    </Page>
  );
}

function CalendarForm({ calendar, onDone }: { calendar?: HolidayCalendar; onDone: () => void }) {
  const { t } = useTranslation();
  const create = useCreateHolidayCalendar();
  const update = useUpdateHolidayCalendar();
  const [id, setId] = useState('');
  const [name, setName] = useState(calendar?.name ?? '');
  const nextKey = useRef(0);
  const keyed = (d: { date: string; name: string }) => ({ ...d, key: nextKey.current++ });
  const [dates, setDates] = useState(() => (calendar?.dates ?? []).map(keyed));
  const setRow = (i: number, patch: Partial<{ date: string; name: string }>) =>
    setDates(dates.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fields = {
      name: name.trim(),
      dates: dates.filter((d) => d.date).sort((a, b) => a.date.localeCompare(b.date)),
    };
    if (calendar) update.mutate({ id: calendar.id, patch: fields }, { onSuccess: onDone });
    else create.mutate({ id: id.trim(), ...fields }, { onSuccess: onDone });
  };
  return (
    <Form onSubmit={submit} className="form">
      {!calendar && <Field label={t('common.id')} value={id} onChange={setId} isRequired />}
      <Field label={t('common.name')} value={name} onChange={setName} isRequired />
      <fieldset className="group">
        <legend>{t('holidays.dates')}</legend>
        {dates.map((d, i) => (
          <div className="row" key={d.key}>
            <Field
              label={t('holidays.date')}
              type="date"
              value={d.date}
              onChange={(v) => setRow(i, { date: v })}
              isRequired
            />
            <Field label={t('holidays.dateName')} value={d.name} onChange={(v) => setRow(i, { name: v })} />
            <Button
              variant="quiet"
              onPress={() => setDates(dates.filter((_, j) => j !== i))}
              aria-label={t('holidays.removeDate', { date: d.date || i + 1 })}
            >
              {t('common.remove')}
            </Button>
          </div>
        ))}
        <Button onPress={() => setDates([...dates, keyed({ date: '', name: '' })])}>
          {t('holidays.addDate')}
        </Button>
      </fieldset>
      <ErrorNotice error={create.error ?? update.error} />
      <Button type="submit" variant="primary" isDisabled={create.isPending || update.isPending}>
        {calendar ? t('common.save') : t('common.create')}
      </Button>
    </Form>
  );
}
