// Groups: people belong to them (department, role); each carries access levels.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { EditPanel } from '../../components/common/edit-panel.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, IdChecklist } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { RowActions } from '../../components/common/row-actions.tsx';
import { useAccessLevels } from '../../hooks/api/access-levels.ts';
import {
  type Group,
  useCreateGroup,
  useDeleteGroup,
  useGroups,
  useUpdateGroup,
} from '../../hooks/api/groups.ts';

export function GroupsPage() {
  const { t } = useTranslation();
  const groups = useGroups();
  const remove = useDeleteGroup();
  const [editing, setEditing] = useState<Group | 'new'>();
  const columns: Column<Group>[] = [
    { key: 'id', header: t('common.id'), cell: (g) => g.id },
    { key: 'name', header: t('common.name'), cell: (g) => g.name },
    { key: 'levels', header: t('nav.levels'), cell: (g) => g.levels.join(', ') || '—' },
    { key: 'description', header: t('common.description'), cell: (g) => g.description ?? '' },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (g) => (
        <RowActions
          name={g.name}
          onEdit={() => setEditing(g)}
          onDelete={() => remove.mutateAsync(g.id)}
          deleteEffect={t('groups.deleteEffect')}
        />
      ),
    },
  ];
  return (
    <Page
      write="site:write"
      title={t('nav.groups')}
      actions={
        <Button variant="primary" onPress={() => setEditing('new')}>
          {t('groups.new')}
        </Button>
      }
    >
      <ErrorNotice error={groups.error ?? remove.error} />
      {groups.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('nav.groups')}
          columns={columns}
          rows={groups.data ?? []}
          rowKey={(g) => g.id}
        />
      )}
      {editing && (
        <EditPanel
          title={editing === 'new' ? t('groups.new') : editing.name}
          onClose={() => setEditing(undefined)}
        >
          <GroupForm
            key={editing === 'new' ? 'new' : editing.id}
            group={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(undefined)}
          />
        </EditPanel>
      )}
    </Page>
  );
}

function GroupForm({ group, onDone }: { group?: Group; onDone: () => void }) {
  const { t } = useTranslation();
  const levels = useAccessLevels();
  const create = useCreateGroup();
  const update = useUpdateGroup();
  const [id, setId] = useState('');
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [levelIds, setLevelIds] = useState<string[]>(group?.levels ?? []);
  const fields = { name: name.trim(), description: description.trim() || null, levels: levelIds };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (group) update.mutate({ id: group.id, patch: fields }, { onSuccess: onDone });
    else create.mutate({ id: id.trim(), ...fields }, { onSuccess: onDone });
  };
  return (
    <Form onSubmit={submit} className="form">
      {!group && <Field label={t('common.id')} value={id} onChange={setId} isRequired />}
      <Field label={t('common.name')} value={name} onChange={setName} isRequired />
      <Field label={t('common.description')} value={description} onChange={setDescription} multiline />
      <IdChecklist
        label={t('nav.levels')}
        options={(levels.data ?? []).map((l) => ({ id: l.id, label: l.name }))}
        value={levelIds}
        onChange={setLevelIds}
        empty={t('people.noLevels')}
      />
      <ErrorNotice error={create.error ?? update.error} />
      <Button type="submit" variant="primary" isDisabled={create.isPending || update.isPending}>
        {group ? t('common.save') : t('common.create')}
      </Button>
    </Form>
  );
}
