// Doors: which areas they join, which controller drives them, their mode and timings, and the door
// rules (interlock group, door-local anti-passback, first person in).
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { EditPanel } from '../../components/common/edit-panel.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { CheckboxField, Field, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { RowActions } from '../../components/common/row-actions.tsx';
import { useAreas } from '../../hooks/api/areas.ts';
import { useControllers } from '../../hooks/api/controllers.ts';
import {
  type Door,
  type DoorCreate,
  useCreateDoor,
  useDeleteDoor,
  useDoors,
  useUpdateDoor,
} from '../../hooks/api/doors.ts';

const MODES = ['card', 'card+pin', 'card+biometric', 'pin', 'unlocked', 'locked'] as const;

export function DoorsPage() {
  const { t } = useTranslation();
  const doors = useDoors();
  const remove = useDeleteDoor();
  const [editing, setEditing] = useState<Door | 'new'>();
  const columns: Column<Door>[] = [
    { key: 'id', header: t('common.id'), cell: (d) => d.id },
    { key: 'name', header: t('common.name'), cell: (d) => d.name },
    { key: 'areas', header: t('doors.areas'), cell: (d) => `${d.fromArea} → ${d.toArea}` },
    { key: 'mode', header: t('floor.mode'), cell: (d) => t(`doorMode.${d.mode}`) },
    { key: 'controller', header: t('doors.controller'), cell: (d) => d.controllerId ?? '—' },
    {
      key: 'rules',
      header: t('areas.rules'),
      cell: (d) =>
        [
          d.rules?.interlock && t('doors.interlockShort', { group: d.rules.interlock }),
          d.rules?.localAntipassback && t('doors.localApb'),
          d.rules?.firstPersonIn && t('doors.firstPersonIn'),
          d.rules?.scheduledModes?.length &&
            t('doors.scheduledModes', { count: d.rules.scheduledModes.length }),
        ]
          .filter(Boolean)
          .join(' · ') || '—',
    },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (d) => (
        <RowActions
          name={d.name}
          onEdit={() => setEditing(d)}
          onDelete={() => remove.mutateAsync(d.id)}
          deleteEffect={t('doors.deleteEffect')}
        >
          <Link
            to={`/rules/access?door=${encodeURIComponent(d.id)}`}
            className="button button-quiet"
            aria-label={t('access.forDoor', { name: d.name })}
          >
            {t('nav.access')}
          </Link>
        </RowActions>
      ),
    },
  ];
  return (
    <Page
      write="site:write"
      title={t('nav.doors')}
      actions={
        <Button variant="primary" onPress={() => setEditing('new')}>
          {t('doors.new')}
        </Button>
      }
    >
      <ErrorNotice error={doors.error ?? remove.error} />
      {doors.isPending ? (
        <Loading />
      ) : (
        <DataTable caption={t('nav.doors')} columns={columns} rows={doors.data ?? []} rowKey={(d) => d.id} />
      )}
      {editing && (
        <EditPanel
          title={editing === 'new' ? t('doors.new') : editing.name}
          onClose={() => setEditing(undefined)}
        >
          <DoorForm
            key={editing === 'new' ? 'new' : editing.id}
            door={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(undefined)}
          />
        </EditPanel>
      )}
    </Page>
  );
}

function DoorForm({ door, onDone }: { door?: Door; onDone: () => void }) {
  const { t } = useTranslation();
  const areas = useAreas();
  const controllers = useControllers();
  const create = useCreateDoor();
  const update = useUpdateDoor();
  const [id, setId] = useState('');
  const [name, setName] = useState(door?.name ?? '');
  const [fromArea, setFromArea] = useState(door?.fromArea ?? 'outside');
  const [toArea, setToArea] = useState(door?.toArea ?? '');
  const [controllerId, setControllerId] = useState(door?.controllerId ?? '');
  const [mode, setMode] = useState<(typeof MODES)[number]>(door?.mode ?? 'card');
  const [strike, setStrike] = useState(String(door?.strikeSeconds ?? 5));
  const [held, setHeld] = useState(String(door?.heldOpenSeconds ?? 30));
  const [interlock, setInterlock] = useState(door?.rules?.interlock ?? '');
  const [localApb, setLocalApb] = useState(door?.rules?.localAntipassback ?? false);
  const [firstIn, setFirstIn] = useState(door?.rules?.firstPersonIn ?? false);
  const areaOptions = (areas.data ?? []).map((a) => ({ id: a.id, label: a.name }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const rules = {
      ...(interlock.trim() && { interlock: interlock.trim() }),
      ...(localApb && { localAntipassback: true }),
      ...(firstIn && { firstPersonIn: true }),
      ...(door?.rules?.scheduledModes && { scheduledModes: door.rules.scheduledModes }),
    };
    const fields = {
      name: name.trim(),
      fromArea,
      toArea,
      controllerId: controllerId || null,
      mode,
      strikeSeconds: Number(strike),
      heldOpenSeconds: Number(held),
      rules: Object.keys(rules).length > 0 ? rules : null,
    } as Omit<DoorCreate, 'id'>;
    if (door) update.mutate({ id: door.id, patch: fields }, { onSuccess: onDone });
    else create.mutate({ id: id.trim(), ...fields }, { onSuccess: onDone });
  };
  return (
    <Form onSubmit={submit} className="form">
      {!door && <Field label={t('common.id')} value={id} onChange={setId} isRequired />}
      <Field label={t('common.name')} value={name} onChange={setName} isRequired />
      <SelectField label={t('doors.from')} value={fromArea} onChange={setFromArea} options={areaOptions} />
      <SelectField
        label={t('doors.to')}
        value={toArea || null}
        onChange={setToArea}
        options={areaOptions}
        isRequired
      />
      <SelectField
        label={t('doors.controller')}
        value={controllerId}
        onChange={setControllerId}
        options={[
          { id: '', label: t('doors.noController') },
          ...(controllers.data ?? []).map((c) => ({ id: c.id, label: c.name })),
        ]}
      />
      <SelectField
        label={t('floor.mode')}
        value={mode}
        onChange={(v) => setMode(v as typeof mode)}
        options={MODES.map((m) => ({ id: m, label: t(`doorMode.${m}`) }))}
      />
      <Field
        label={t('doors.strike')}
        inputMode="numeric"
        pattern="\d+"
        value={strike}
        onChange={setStrike}
        isRequired
      />
      <Field
        label={t('doors.heldOpen')}
        inputMode="numeric"
        pattern="\d+"
        value={held}
        onChange={setHeld}
        isRequired
      />
      <fieldset className="group">
        <legend>{t('areas.rules')}</legend>
        <Field
          label={t('doors.interlock')}
          description={t('doors.interlockHelp')}
          value={interlock}
          onChange={setInterlock}
        />
        <CheckboxField isSelected={localApb} onChange={setLocalApb}>
          {t('doors.localApb')}
        </CheckboxField>
        <CheckboxField isSelected={firstIn} onChange={setFirstIn}>
          {t('doors.firstPersonIn')}
        </CheckboxField>
      </fieldset>
      <ErrorNotice error={create.error ?? update.error} />
      <Button type="submit" variant="primary" isDisabled={create.isPending || update.isPending}>
        {door ? t('common.save') : t('common.create')}
      </Button>
    </Form>
  );
}
