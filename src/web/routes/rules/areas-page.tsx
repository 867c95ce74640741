// Areas: the spaces people are in, nested under `outside`, with their rules: anti-passback, maximum
// occupancy, two-person rule, route check, fire zone, and what controllers do while offline.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { EditPanel } from '../../components/common/edit-panel.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { RowActions } from '../../components/common/row-actions.tsx';
import {
  type Area,
  type AreaCreate,
  useAreas,
  useCreateArea,
  useDeleteArea,
  useUpdateArea,
} from '../../hooks/api/areas.ts';
import { useGroups } from '../../hooks/api/groups.ts';

export function areaRules(a: Area, t: (k: string, o?: Record<string, unknown>) => string): string {
  const parts: string[] = [];
  if (a.antipassback) parts.push(t(`areas.apb.${a.antipassback.mode}`));
  if (a.maxOccupancy) parts.push(t('areas.maxShort', { count: a.maxOccupancy }));
  if (a.rules?.twoPerson) parts.push(t('areas.twoPerson'));
  if (a.rules?.route) parts.push(t('areas.routeShort', { area: a.rules.route.requires }));
  if (a.rules?.priority) parts.push(t('areas.priority'));
  if (a.rules?.escort) parts.push(t('areas.escort'));
  if (a.rules?.fireZone) parts.push(t('areas.fireShort', { zone: a.rules.fireZone }));
  return parts.join(' · ');
}

export function AreasPage() {
  const { t } = useTranslation();
  const areas = useAreas();
  const remove = useDeleteArea();
  const [editing, setEditing] = useState<Area | 'new'>();
  const columns: Column<Area>[] = [
    { key: 'id', header: t('common.id'), cell: (a) => a.id },
    { key: 'name', header: t('common.name'), cell: (a) => a.name },
    { key: 'parent', header: t('areas.parent'), cell: (a) => a.parentId },
    { key: 'rules', header: t('areas.rules'), cell: (a) => areaRules(a, t) || '—' },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (a) =>
        a.id === 'outside' ? (
          t('areas.builtIn')
        ) : (
          <RowActions
            name={a.name}
            onEdit={() => setEditing(a)}
            onDelete={() => remove.mutateAsync(a.id)}
            deleteEffect={t('areas.deleteEffect')}
          />
        ),
    },
  ];
  return (
    <Page
      write="site:write"
      title={t('nav.areas')}
      actions={
        <Button variant="primary" onPress={() => setEditing('new')}>
          {t('areas.new')}
        </Button>
      }
    >
      <ErrorNotice error={areas.error ?? remove.error} />
      {areas.isPending ? (
        <Loading />
      ) : (
        <DataTable caption={t('nav.areas')} columns={columns} rows={areas.data ?? []} rowKey={(a) => a.id} />
      )}
      {editing && (
        <EditPanel
          title={editing === 'new' ? t('areas.new') : editing.name}
          onClose={() => setEditing(undefined)}
        >
          <AreaForm
            key={editing === 'new' ? 'new' : editing.id}
            area={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(undefined)}
          />
        </EditPanel>
      )}
    </Page>
  );
}

const numberOrNull = (s: string) => (s.trim() === '' ? null : Number(s));

function AreaForm({ area, onDone }: { area?: Area; onDone: () => void }) {
  const { t } = useTranslation();
  const areas = useAreas();
  const groups = useGroups();
  const create = useCreateArea();
  const update = useUpdateArea();
  const [id, setId] = useState('');
  const [name, setName] = useState(area?.name ?? '');
  const [parentId, setParentId] = useState(area?.parentId ?? 'outside');
  const [site, setSite] = useState(area?.site ?? '');
  const [max, setMax] = useState(area?.maxOccupancy ? String(area.maxOccupancy) : '');
  const [apb, setApb] = useState<'none' | 'hard' | 'soft'>(area?.antipassback?.mode ?? 'none');
  const [reentry, setReentry] = useState(
    area?.antipassback?.reentryMinutes ? String(area.antipassback.reentryMinutes) : '',
  );
  const [offline, setOffline] = useState<'local' | 'deny'>(area?.offlineMode ?? 'local');
  const [twoPerson, setTwoPerson] = useState(
    area?.rules?.twoPerson ? String(area.rules.twoPerson.withinSeconds) : '',
  );
  const [twoPersonGroup, setTwoPersonGroup] = useState(area?.rules?.twoPerson?.requireGroup ?? '');
  const [route, setRoute] = useState(area?.rules?.route?.requires ?? '');
  const [fireZone, setFireZone] = useState(area?.rules?.fireZone ?? '');
  const [myNumber, setMyNumber] = useState<'' | 'management' | 'handling'>(area?.myNumberZone ?? '');
  const others = (areas.data ?? []).filter((a) => a.id !== area?.id);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const rules = {
      ...(twoPerson && {
        twoPerson: {
          withinSeconds: Number(twoPerson),
          ...(twoPersonGroup && { requireGroup: twoPersonGroup }),
        },
      }),
      ...(route && { route: { requires: route } }),
      ...(fireZone.trim() && { fireZone: fireZone.trim() }),
      ...(area?.rules?.priority && { priority: area.rules.priority }),
      ...(area?.rules?.escort && { escort: area.rules.escort }),
    };
    const fields = {
      name: name.trim(),
      parentId,
      site: site.trim() || null,
      maxOccupancy: numberOrNull(max),
      antipassback:
        apb === 'none' ? null : { mode: apb, ...(reentry && { reentryMinutes: Number(reentry) }) },
      offlineMode: offline,
      myNumberZone: myNumber || null,
      rules: Object.keys(rules).length > 0 ? rules : null,
    } as Omit<AreaCreate, 'id'>;
    if (area) update.mutate({ id: area.id, patch: fields }, { onSuccess: onDone });
    else create.mutate({ id: id.trim(), ...fields }, { onSuccess: onDone });
  };
  const areaOptions = others.map((a) => ({ id: a.id, label: a.name }));
  return (
    <Form onSubmit={submit} className="form">
      {!area && <Field label={t('common.id')} value={id} onChange={setId} isRequired />}
      <Field label={t('common.name')} value={name} onChange={setName} isRequired />
      <SelectField label={t('areas.parent')} value={parentId} onChange={setParentId} options={areaOptions} />
      <Field label={t('people.site')} value={site} onChange={setSite} />
      <Field
        label={t('areas.max')}
        description={t('areas.maxHelp')}
        inputMode="numeric"
        pattern="\d*"
        value={max}
        onChange={setMax}
      />
      <fieldset className="group">
        <legend>{t('areas.antipassback')}</legend>
        <SelectField
          label={t('areas.apbMode')}
          value={apb}
          onChange={(v) => setApb(v as typeof apb)}
          options={(['none', 'hard', 'soft'] as const).map((m) => ({ id: m, label: t(`areas.apb.${m}`) }))}
        />
        {apb !== 'none' && (
          <Field
            label={t('areas.reentry')}
            inputMode="numeric"
            pattern="\d*"
            value={reentry}
            onChange={setReentry}
          />
        )}
      </fieldset>
      <fieldset className="group">
        <legend>{t('areas.twoPerson')}</legend>
        <Field
          label={t('areas.twoPersonWithin')}
          description={t('areas.twoPersonHelp')}
          inputMode="numeric"
          pattern="\d*"
          value={twoPerson}
          onChange={setTwoPerson}
        />
        {twoPerson && (
          <SelectField
            label={t('areas.twoPersonGroup')}
            value={twoPersonGroup}
            onChange={setTwoPersonGroup}
            options={[
              { id: '', label: t('areas.anyone') },
              ...(groups.data ?? []).map((g) => ({ id: g.id, label: g.name })),
            ]}
          />
        )}
      </fieldset>
      <SelectField
        label={t('areas.route')}
        description={t('areas.routeHelp')}
        value={route}
        onChange={setRoute}
        options={[{ id: '', label: t('areas.noRoute') }, ...areaOptions]}
      />
      <Field
        label={t('areas.fireZone')}
        description={t('areas.fireZoneHelp')}
        value={fireZone}
        onChange={setFireZone}
      />
      <SelectField
        label={t('areas.myNumberZone')}
        description={t('areas.myNumberZoneHelp')}
        value={myNumber}
        onChange={(v) => setMyNumber(v as typeof myNumber)}
        options={[
          { id: '', label: t('reports.zoneType.none') },
          { id: 'management', label: t('reports.zoneType.management') },
          { id: 'handling', label: t('reports.zoneType.handling') },
        ]}
      />
      <SelectField
        label={t('areas.offline')}
        value={offline}
        onChange={(v) => setOffline(v as typeof offline)}
        options={[
          { id: 'local', label: t('areas.offlineLocal') },
          { id: 'deny', label: t('areas.offlineDeny') },
        ]}
      />
      <ErrorNotice error={create.error ?? update.error} />
      <Button type="submit" variant="primary" isDisabled={create.isPending || update.isPending}>
        {area ? t('common.save') : t('common.create')}
      </Button>
    </Form>
  );
}
