// A person's credentials: what they hold, its state and validity, and the actions an operator takes
// (suspend, reactivate, mark lost, revoke — each confirmed with its effect); issue a card, a PIN, a
// mobile key or a key with an optional validity window and use count.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { WriteOnly, WriteScope } from '../../components/common/page.tsx';
import {
  type Credential,
  type CredentialCreate,
  useIssueCredential,
  usePersonCredentials,
  useUpdateCredential,
} from '../../hooks/api/credentials.ts';
import type { Person } from '../../hooks/api/people.ts';
import { fromLocalInput, useFormat } from '../../lib/format.ts';

const TYPES = ['card', 'pin', 'mobile', 'key', 'biometric'] as const;
type CredentialState = Credential['state'];

function validity(c: Credential, dateTime: (v: string | null) => string, t: (k: string) => string) {
  if (!c.validFrom && !c.validUntil) return t('credentials.always');
  return `${c.validFrom ? dateTime(c.validFrom) : '…'} – ${c.validUntil ? dateTime(c.validUntil) : '…'}`;
}

export function Credentials({ person }: { person: Person }) {
  const { t } = useTranslation();
  const credentials = usePersonCredentials(person.id);
  const update = useUpdateCredential();
  const format = useFormat();

  const setState = (c: Credential, state: CredentialState) =>
    update.mutateAsync({ id: c.id, patch: { state } });
  const describe = (c: Credential) => `${t(`credentialType.${c.type}`)} ${c.identifier ?? ''}`.trim();
  const action = (c: Credential, state: CredentialState, variant: 'primary' | 'danger' = 'primary') => (
    <ConfirmDialog
      key={state}
      trigger={t(`credentials.to.${state}`)}
      title={t('credentials.confirmTitle', { action: t(`credentials.to.${state}`), what: describe(c) })}
      confirmLabel={t(`credentials.to.${state}`)}
      variant={variant}
      onConfirm={() => setState(c, state)}
    >
      <p>{t(`credentials.effect.${state}`, { name: person.name })}</p>
    </ConfirmDialog>
  );

  const columns: Column<Credential>[] = [
    { key: 'type', header: t('credentials.type'), cell: (c) => t(`credentialType.${c.type}`) },
    { key: 'identifier', header: t('credentials.identifier'), cell: (c) => c.identifier ?? '—' },
    { key: 'pin', header: t('credentials.pin'), cell: (c) => (c.hasPin ? t('credentials.pinSet') : '—') },
    { key: 'state', header: t('credentials.state'), cell: (c) => t(`credentialState.${c.state}`) },
    { key: 'validity', header: t('credentials.validity'), cell: (c) => validity(c, format.dateTime, t) },
    {
      key: 'uses',
      header: t('credentials.uses'),
      className: 'num',
      cell: (c) => (c.maxUses ? `${c.uses} / ${c.maxUses}` : String(c.uses)),
    },
    { key: 'label', header: t('credentials.label'), cell: (c) => c.label ?? '' },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (c) => (
        <div className="row">
          {c.state === 'active' && action(c, 'suspended')}
          {(c.state === 'suspended' || c.state === 'lost') && action(c, 'active')}
          {c.state === 'active' && action(c, 'lost', 'danger')}
          {c.state !== 'revoked' && action(c, 'revoked', 'danger')}
        </div>
      ),
    },
  ];

  return (
    <section className="section" aria-labelledby="credentials-heading">
      <h2 id="credentials-heading">{t('credentials.title')}</h2>
      <ErrorNotice error={credentials.error ?? update.error} />
      <WriteScope write="credentials:write">
        <DataTable
          caption={t('credentials.title')}
          columns={columns}
          rows={credentials.data ?? []}
          rowKey={(c) => c.id}
          empty={t('credentials.none')}
        />
        <WriteOnly>
          <IssueCredential person={person} />
        </WriteOnly>
      </WriteScope>
    </section>
  );
}

function IssueCredential({ person }: { person: Person }) {
  const { t } = useTranslation();
  const issue = useIssueCredential();
  const { timeZone } = useFormat();
  const [type, setType] = useState<(typeof TYPES)[number]>('card');
  const [identifier, setIdentifier] = useState('');
  const [pin, setPin] = useState('');
  const [validFrom, setValidFrom] = useState('');
  const [validUntil, setValidUntil] = useState('');
  const [maxUses, setMaxUses] = useState('');
  const [label, setLabel] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: CredentialCreate = {
      personId: person.id,
      type,
      ...(type !== 'pin' && { identifier: identifier.trim() }),
      ...(pin && { pin }),
      ...(validFrom && { validFrom: fromLocalInput(validFrom, timeZone) }),
      ...(validUntil && { validUntil: fromLocalInput(validUntil, timeZone) }),
      ...(maxUses && { maxUses: Number(maxUses) }),
      ...(label.trim() && { label: label.trim() }),
    } as CredentialCreate;
    issue.mutate(body, {
      onSuccess: () => {
        setIdentifier('');
        setPin('');
        setLabel('');
      },
    });
  };

  return (
    <Form onSubmit={submit} className="form section" aria-labelledby="issue-heading">
      <h3 id="issue-heading">{t('credentials.issue')}</h3>
      <SelectField
        label={t('credentials.type')}
        value={type}
        onChange={(v) => setType(v as (typeof TYPES)[number])}
        options={TYPES.map((id) => ({ id, label: t(`credentialType.${id}`) }))}
      />
      {type !== 'pin' && (
        <Field
          label={t('credentials.identifier')}
          description={t('credentials.identifierHelp')}
          value={identifier}
          onChange={setIdentifier}
          isRequired
        />
      )}
      <Field
        label={type === 'pin' ? t('credentials.pin') : t('credentials.cardPin')}
        description={t('credentials.pinHelp')}
        type="password"
        inputMode="numeric"
        autoComplete="off"
        value={pin}
        onChange={setPin}
        isRequired={type === 'pin'}
        pattern="\d{4,12}"
      />
      <Field
        label={t('credentials.validFrom', { zone: timeZone })}
        type="datetime-local"
        value={validFrom}
        onChange={setValidFrom}
      />
      <Field
        label={t('credentials.validUntil', { zone: timeZone })}
        type="datetime-local"
        value={validUntil}
        onChange={setValidUntil}
      />
      <Field
        label={t('credentials.maxUses')}
        description={t('credentials.maxUsesHelp')}
        inputMode="numeric"
        value={maxUses}
        onChange={setMaxUses}
        pattern="\d*"
      />
      <Field label={t('credentials.label')} value={label} onChange={setLabel} />
      <ErrorNotice error={issue.error} />
      {issue.isSuccess && (
        <p role="status" className="notice notice-success">
          {t('credentials.issued')}
        </p>
      )}
      <Button type="submit" variant="primary" isDisabled={issue.isPending}>
        {t('credentials.issueSubmit')}
      </Button>
    </Form>
  );
}
