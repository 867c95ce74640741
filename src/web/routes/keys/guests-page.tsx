// Guests (来客): name, company, contact and the person who hosts them; create, edit, delete
// (deleting a guest revokes their keys). A scoped operator sees the guests of hosts in their scope.
import { type FormEvent, useState } from 'react';
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
  type Guest,
  useCreateGuest,
  useDeleteGuest,
  useGuests,
  useUpdateGuest,
} from '../../hooks/api/keys-guests.ts';

export function GuestsPage() {
  const { t } = useTranslation();
  const guests = useGuests();
  const remove = useDeleteGuest();
  const [editing, setEditing] = useState<Guest | 'new'>();
  const columns: Column<Guest>[] = [
    { key: 'id', header: t('common.id'), cell: (g) => g.id },
    { key: 'name', header: t('common.name'), cell: (g) => g.name },
    { key: 'company', header: t('guests.company'), cell: (g) => g.company ?? '—' },
    { key: 'contact', header: t('guests.contact'), cell: (g) => g.contact ?? '—' },
    { key: 'host', header: t('guests.host'), cell: (g) => g.hostPersonId ?? '—' },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (g) => (
        <RowActions
          name={g.name}
          onEdit={() => setEditing(g)}
          onDelete={() => remove.mutateAsync(g.id)}
          deleteEffect={t('guests.deleteEffect')}
        />
      ),
    },
  ];
  return (
    <Page
      write="people:write"
      title={t('nav.guests')}
      actions={
        <Button variant="primary" onPress={() => setEditing('new')}>
          {t('guests.new')}
        </Button>
      }
    >
      {editing && (
        <EditPanel
          title={editing === 'new' ? t('guests.new') : t('common.editNamed', { name: editing.name })}
          onClose={() => setEditing(undefined)}
        >
          <GuestForm
            key={editing === 'new' ? 'new' : editing.id}
            guest={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(undefined)}
          />
        </EditPanel>
      )}
      <ErrorNotice error={guests.error ?? remove.error} />
      {guests.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('nav.guests')}
          columns={columns}
          rows={guests.data ?? []}
          rowKey={(g) => g.id}
          empty={t('guests.none')}
        />
      )}
    </Page>
  );
}

function GuestForm({ guest, onDone }: { guest: Guest | undefined; onDone: () => void }) {
  const { t } = useTranslation();
  const create = useCreateGuest();
  const update = useUpdateGuest();
  const [name, setName] = useState(guest?.name ?? '');
  const [company, setCompany] = useState(guest?.company ?? '');
  const [contact, setContact] = useState(guest?.contact ?? '');
  const [host, setHost] = useState(guest?.hostPersonId ?? '');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fields = {
      name: name.trim(),
      company: company.trim() || null,
      contact: contact.trim() || null,
      hostPersonId: host.trim() || null,
    };
    if (guest) update.mutate({ id: guest.id, patch: fields }, { onSuccess: onDone });
    else create.mutate(fields, { onSuccess: onDone });
  };
  return (
    <Form onSubmit={submit} className="form">
      <Field label={t('common.name')} value={name} onChange={setName} isRequired />
      <Field label={t('guests.company')} value={company} onChange={setCompany} />
      <Field
        label={t('guests.contact')}
        description={t('guests.contactHelp')}
        value={contact}
        onChange={setContact}
      />
      <Field label={t('guests.host')} description={t('guests.hostHelp')} value={host} onChange={setHost} />
      <ErrorNotice error={create.error ?? update.error} />
      <Button type="submit" variant="primary" isDisabled={create.isPending || update.isPending}>
        {guest ? t('common.save') : t('common.create')}
      </Button>
    </Form>
  );
}
