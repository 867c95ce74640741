// Access levels: doors × a schedule (none: at all times).
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { ChangePreviewStep } from '../../components/change-preview.tsx';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { EditPanel } from '../../components/common/edit-panel.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, IdChecklist, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { RowActions } from '../../components/common/row-actions.tsx';
import {
  type AccessLevel,
  useAccessLevels,
  useCreateAccessLevel,
  useDeleteAccessLevel,
  useUpdateAccessLevel,
} from '../../hooks/api/access-levels.ts';
import { useDoors } from '../../hooks/api/doors.ts';
import { useSchedules } from '../../hooks/api/schedules.ts';

export function LevelsPage() {
  const { t } = useTranslation();
  const levels = useAccessLevels();
  const schedules = useSchedules();
  const remove = useDeleteAccessLevel();
  const [editing, setEditing] = useState<AccessLevel | 'new'>();
  const scheduleName = new Map((schedules.data ?? []).map((s) => [s.id, s.name]));

  const columns: Column<AccessLevel>[] = [
    { key: 'id', header: t('common.id'), cell: (l) => l.id },
    { key: 'name', header: t('common.name'), cell: (l) => l.name },
    {
      key: 'schedule',
      header: t('levels.schedule'),
      cell: (l) => (l.scheduleId ? (scheduleName.get(l.scheduleId) ?? l.scheduleId) : t('levels.always')),
    },
    { key: 'doors', header: t('levels.doors'), cell: (l) => l.doors.join(', ') || '—' },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (l) => (
        <RowActions
          name={l.name}
          onEdit={() => setEditing(l)}
          onDelete={() => remove.mutateAsync(l.id)}
          deleteEffect={t('levels.deleteEffect')}
        />
      ),
    },
  ];

  return (
    <Page
      write="site:write"
      title={t('nav.levels')}
      actions={
        <Button variant="primary" onPress={() => setEditing('new')}>
          {t('levels.new')}
        </Button>
      }
    >
      <ErrorNotice error={levels.error ?? remove.error} />
      {levels.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('nav.levels')}
          columns={columns}
          rows={levels.data ?? []}
          rowKey={(l) => l.id}
        />
      )}
      {editing && (
        <EditPanel
          title={editing === 'new' ? t('levels.new') : editing.name}
          onClose={() => setEditing(undefined)}
        >
          <LevelForm
            key={editing === 'new' ? 'new' : editing.id}
            level={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(undefined)}
          />
        </EditPanel>
      )}
    </Page>
  );
}

function LevelForm({ level, onDone }: { level?: AccessLevel; onDone: () => void }) {
  const { t } = useTranslation();
  const doors = useDoors();
  const schedules = useSchedules();
  const create = useCreateAccessLevel();
  const update = useUpdateAccessLevel();
  const [id, setId] = useState('');
  const [name, setName] = useState(level?.name ?? '');
  const [scheduleId, setScheduleId] = useState(level?.scheduleId ?? '');
  const [doorIds, setDoorIds] = useState<string[]>(level?.doors ?? []);
  const [reviewing, setReviewing] = useState(false);
  const fields = { name: name.trim(), scheduleId: scheduleId || null, doors: doorIds };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // A change to a level in use is shown with its effect first; saving is a second step.
    if (level) setReviewing(true);
    else create.mutate({ id: id.trim(), ...fields }, { onSuccess: onDone });
  };
  if (level && reviewing)
    return (
      <ChangePreviewStep
        change={{ resource: 'access_level', id: level.id, patch: fields }}
        onSave={() => update.mutate({ id: level.id, patch: fields }, { onSuccess: onDone })}
        onBack={() => setReviewing(false)}
        saving={update.isPending}
        error={update.error}
      />
    );
  return (
    <Form onSubmit={submit} className="form">
      {!level && <Field label={t('common.id')} value={id} onChange={setId} isRequired />}
      <Field label={t('common.name')} value={name} onChange={setName} isRequired />
      <SelectField
        label={t('levels.schedule')}
        value={scheduleId}
        onChange={setScheduleId}
        options={[
          { id: '', label: t('levels.always') },
          ...(schedules.data ?? []).map((s) => ({ id: s.id, label: s.name })),
        ]}
      />
      <IdChecklist
        label={t('levels.doors')}
        options={(doors.data ?? []).map((d) => ({ id: d.id, label: d.name }))}
        value={doorIds}
        onChange={setDoorIds}
        empty={t('levels.noDoors')}
      />
      <ErrorNotice error={create.error ?? update.error} />
      <Button type="submit" variant="primary" isDisabled={create.isPending || update.isPending}>
        {level ? t('preview.review') : t('common.create')}
      </Button>
    </Form>
  );
}
