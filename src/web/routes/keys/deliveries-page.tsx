// Delivery access (置き配): a one-time code for a courier — one door, a window, a single use; the
// recipient is told when it is used (the delivery.used webhook). Issue one (its link and QR code
// shown once) and see the delivery keys with their state and uses.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page, WriteOnly } from '../../components/common/page.tsx';
import { IssuedLink } from '../../components/issued-link.tsx';
import { LoadMore, localDefault, WindowFields } from '../../components/report-parts.tsx';
import { useDoors } from '../../hooks/api/doors.ts';
import {
  type IssuedKey,
  type Key,
  useIssueDelivery,
  useKeys,
  useRevokeKey,
} from '../../hooks/api/keys-guests.ts';
import { fromLocalInput, toLocalInput, useFormat } from '../../lib/format.ts';

export function DeliveriesPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const doors = useDoors();
  const keys = useKeys({ kind: 'delivery' });
  const issue = useIssueDelivery();
  const revoke = useRevokeKey();
  const [issued, setIssued] = useState<IssuedKey>();
  const [door, setDoor] = useState('');
  const [recipient, setRecipient] = useState('');
  const [courier, setCourier] = useState('');
  const [company, setCompany] = useState('');
  const [from, setFrom] = useState(() => toLocalInput(Date.now(), format.timeZone));
  const [until, setUntil] = useState(() => localDefault(format.timeZone, -1));
  const doorOptions = (doors.data ?? []).map((d) => ({ id: d.id, label: d.name }));
  const chosenDoor = door || doorOptions[0]?.id || '';
  const rows = keys.data?.pages.flatMap((p) => p.items) ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    issue.mutate(
      {
        door: chosenDoor,
        recipientPersonId: recipient.trim(),
        courier: { name: courier.trim(), company: company.trim() || null },
        validFrom: fromLocalInput(from, format.timeZone),
        validUntil: fromLocalInput(until, format.timeZone),
      },
      {
        onSuccess: (answer) => {
          setIssued(answer);
          setCourier('');
          setCompany('');
        },
      },
    );
  };
  const columns: Column<Key>[] = [
    { key: 'id', header: t('common.id'), cell: (k) => k.id },
    { key: 'door', header: t('events.door'), cell: (k) => k.doors.join(', ') },
    { key: 'recipient', header: t('deliveries.recipient'), cell: (k) => k.recipientPersonId ?? '—' },
    { key: 'courier', header: t('deliveries.courier'), cell: (k) => k.label ?? k.holder.id },
    {
      key: 'when',
      header: t('keys.when'),
      cell: (k) => `${format.dateTime(k.validFrom)} – ${format.dateTime(k.effectiveUntil)}`,
    },
    { key: 'used', header: t('keys.uses'), cell: (k) => `${k.uses} / ${k.maxUses ?? 1}` },
    { key: 'state', header: t('keys.state'), cell: (k) => t(`keys.stateOf.${k.state}`) },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (k) =>
        k.state === 'active' ? (
          <ConfirmDialog
            trigger={t('keys.revoke')}
            title={t('keys.revokeTitle', { id: k.id })}
            confirmLabel={t('keys.revoke')}
            variant="danger"
            onConfirm={() => revoke.mutateAsync(k.id)}
          >
            <p>{t('keys.revokeEffect')}</p>
          </ConfirmDialog>
        ) : null,
    },
  ];
  return (
    <Page write="credentials:write" title={t('nav.deliveries')}>
      {issued && <IssuedLink issued={issued} onDismiss={() => setIssued(undefined)} />}
      <WriteOnly>
        <section aria-labelledby="delivery-new">
          <h2 id="delivery-new">{t('deliveries.new')}</h2>
          <Form onSubmit={submit} className="form">
            <SelectField
              label={t('events.door')}
              value={chosenDoor}
              onChange={setDoor}
              options={doorOptions}
            />
            <Field
              label={t('deliveries.recipient')}
              description={t('deliveries.recipientHelp')}
              value={recipient}
              onChange={setRecipient}
              isRequired
            />
            <Field label={t('deliveries.courier')} value={courier} onChange={setCourier} isRequired />
            <Field label={t('guests.company')} value={company} onChange={setCompany} />
            <WindowFields labels="keys" from={from} until={until} setFrom={setFrom} setUntil={setUntil} />
            <p>{t('deliveries.effect')}</p>
            <ErrorNotice error={issue.error} />
            <Button type="submit" variant="primary" isDisabled={issue.isPending}>
              {t('deliveries.issue')}
            </Button>
          </Form>
        </section>
      </WriteOnly>
      <ErrorNotice error={keys.error ?? revoke.error} />
      {keys.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('deliveries.list')}
          columns={columns}
          rows={rows}
          rowKey={(k) => k.id}
          empty={t('deliveries.none')}
        />
      )}
      <LoadMore {...keys} />
    </Page>
  );
}
