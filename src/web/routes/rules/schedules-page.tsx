// Schedules: weekly intervals in the schedule's time zone, edited on a half-hour grid, and the
// holiday calendars whose dates close the whole day.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { ChangePreviewStep } from '../../components/change-preview.tsx';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { EditPanel } from '../../components/common/edit-panel.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, IdChecklist } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { RowActions } from '../../components/common/row-actions.tsx';
import { useHolidayCalendars } from '../../hooks/api/holidays.ts';
import {
  type Schedule,
  useCreateSchedule,
  useDeleteSchedule,
  useSchedules,
  useUpdateSchedule,
} from '../../hooks/api/schedules.ts';
import { aligned, dayCells, dayIntervals, WEEKDAYS, type Weekday, type Weekly } from '../../lib/week-grid.ts';
import { WeekGridEditor } from './week-grid-editor.tsx';

function summary(weekly: Weekly, t: (k: string) => string): string {
  return WEEKDAYS.filter((d) => (weekly[d]?.length ?? 0) > 0)
    .map((d) => `${t(`weekday.${d}`)} ${weekly[d]!.join(', ')}`)
    .join(' · ');
}

export function SchedulesPage() {
  const { t } = useTranslation();
  const schedules = useSchedules();
  const remove = useDeleteSchedule();
  const [editing, setEditing] = useState<Schedule | 'new'>();
  const columns: Column<Schedule>[] = [
    { key: 'id', header: t('common.id'), cell: (s) => s.id },
    { key: 'name', header: t('common.name'), cell: (s) => s.name },
    {
      key: 'weekly',
      header: t('schedules.weekly'),
      cell: (s) => summary(s.weekly, t) || t('schedules.never'),
    },
    { key: 'holidays', header: t('nav.holidays'), cell: (s) => s.holidayCalendars.join(', ') || '—' },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (s) => (
        <RowActions
          name={s.name}
          onEdit={() => setEditing(s)}
          onDelete={() => remove.mutateAsync(s.id)}
          deleteEffect={t('schedules.deleteEffect')}
        />
      ),
    },
  ];
  return (
    <Page
      write="site:write"
      title={t('nav.schedules')}
      actions={
        <Button variant="primary" onPress={() => setEditing('new')}>
          {t('schedules.new')}
        </Button>
      }
    >
      <ErrorNotice error={schedules.error ?? remove.error} />
      {schedules.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('nav.schedules')}
          columns={columns}
          rows={schedules.data ?? []}
          rowKey={(s) => s.id}
        />
      )}
      {editing && (
        <EditPanel
          title={editing === 'new' ? t('schedules.new') : editing.name}
          onClose={() => setEditing(undefined)}
        >
          <ScheduleForm
            key={editing === 'new' ? 'new' : editing.id}
            schedule={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(undefined)}
          />
        </EditPanel>
      )}
    </Page>
  );
}

function ScheduleForm({ schedule, onDone }: { schedule?: Schedule; onDone: () => void }) {
  const { t } = useTranslation();
  const calendars = useHolidayCalendars();
  const create = useCreateSchedule();
  const update = useUpdateSchedule();
  const [id, setId] = useState('');
  const [name, setName] = useState(schedule?.name ?? '');
  const [holidayIds, setHolidayIds] = useState<string[]>(schedule?.holidayCalendars ?? []);
  const initial = schedule?.weekly ?? {
    mon: ['09:00-18:00'],
    tue: ['09:00-18:00'],
    wed: ['09:00-18:00'],
    thu: ['09:00-18:00'],
    fri: ['09:00-18:00'],
  };
  const [cells, setCells] = useState(
    () => Object.fromEntries(WEEKDAYS.map((d) => [d, dayCells(initial[d])])) as Record<Weekday, boolean[]>,
  );
  const [touched, setTouched] = useState<Set<Weekday>>(new Set());
  const unaligned = WEEKDAYS.filter((d) => !aligned(initial[d]) && !touched.has(d));

  const weekly = Object.fromEntries(
    WEEKDAYS.map((d) => [
      d,
      touched.has(d) || aligned(initial[d]) ? dayIntervals(cells[d]) : (initial[d] ?? []),
    ]),
  ) as Weekly;
  const [reviewing, setReviewing] = useState(false);
  // The time zone is the site's where the schedule applies (a schedule has none of its own).
  const fields = { name: name.trim(), weekly, holidayCalendars: holidayIds };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // A change to a schedule in use is shown with its effect first; saving is a second step.
    if (schedule) setReviewing(true);
    else create.mutate({ id: id.trim(), ...fields }, { onSuccess: onDone });
  };
  if (schedule && reviewing)
    return (
      <ChangePreviewStep
        change={{ resource: 'schedule', id: schedule.id, patch: fields }}
        onSave={() => update.mutate({ id: schedule.id, patch: fields }, { onSuccess: onDone })}
        onBack={() => setReviewing(false)}
        saving={update.isPending}
        error={update.error}
      />
    );
  return (
    <Form onSubmit={submit} className="form form-wide">
      {!schedule && <Field label={t('common.id')} value={id} onChange={setId} isRequired />}
      <Field label={t('common.name')} value={name} onChange={setName} isRequired />
      <WeekGridEditor
        label={t('schedules.weekly')}
        cells={cells}
        onChange={(next) => {
          setTouched(new Set([...touched, ...WEEKDAYS.filter((d) => next[d] !== cells[d])]));
          setCells(next);
        }}
      />
      {unaligned.length > 0 && (
        <p className="notice notice-warning">
          {t('schedules.unaligned', { days: unaligned.map((d) => t(`weekday.${d}`)).join(', ') })}
        </p>
      )}
      <p aria-live="polite">{summary(weekly, t) || t('schedules.never')}</p>
      <IdChecklist
        label={t('nav.holidays')}
        options={(calendars.data ?? []).map((c) => ({ id: c.id, label: c.name }))}
        value={holidayIds}
        onChange={setHolidayIds}
        empty={t('schedules.noCalendars')}
      />
      <ErrorNotice error={create.error ?? update.error} />
      <Button type="submit" variant="primary" isDisabled={create.isPending || update.isPending}>
        {schedule ? t('preview.review') : t('common.create')}
      </Button>
    </Form>
  );
}
