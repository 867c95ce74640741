// Operators: who may use the console, with which role and scope (departments, sites); second-factor
// state and lockouts at a glance; create, change role or scope, disable, and recover a locked-out
// operator (unlock, reset second factors, optionally a new password).
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import type { OperatorDetail, Role } from '../../api/security-types.ts';
import { Button } from '../../components/common/button.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { EditPanel } from '../../components/common/edit-panel.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { ReauthButton } from '../../components/reauth-dialog.tsx';
import {
  useCreateOperator,
  useOperators,
  useRecoverOperator,
  useUpdateOperator,
} from '../../hooks/api/operators.ts';
import { useFormat } from '../../lib/format.ts';
import { ROLES } from '../../lib/permissions.ts';

const list = (s: string) =>
  s
    .split(/[,、]/)
    .map((x) => x.trim())
    .filter(Boolean);

export function OperatorsPage() {
  const { t } = useTranslation();
  const operators = useOperators();
  const update = useUpdateOperator();
  const recover = useRecoverOperator();
  const format = useFormat();
  const [editing, setEditing] = useState<OperatorDetail | 'new'>();

  const columns: Column<OperatorDetail>[] = [
    { key: 'username', header: t('signIn.username'), cell: (o) => o.username },
    { key: 'name', header: t('setup.displayName'), cell: (o) => o.displayName },
    { key: 'role', header: t('operators.role'), cell: (o) => t(`roles.${o.role}`) },
    {
      key: 'scope',
      header: t('operators.scope'),
      cell: (o) =>
        o.scope === 'all' ? t('operators.scopeAll') : [...o.scope.departments, ...o.scope.sites].join(', '),
    },
    {
      key: 'mfa',
      header: t('account.secondFactors'),
      cell: (o) =>
        [
          o.mfa.totp && t('secondFactor.totp'),
          o.mfa.webauthn > 0 && t('account.passkeys', { count: o.mfa.webauthn }),
        ]
          .filter(Boolean)
          .join(', ') || t('operators.noMfa'),
    },
    {
      key: 'state',
      header: t('people.state'),
      cell: (o) =>
        o.disabled
          ? t('operators.disabled')
          : o.lockedUntil
            ? t('operators.lockedUntil', { when: format.dateTime(o.lockedUntil) })
            : t('operators.enabled'),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (o) => (
        <div className="row">
          <Button onPress={() => setEditing(o)} aria-label={t('common.editNamed', { name: o.username })}>
            {t('common.edit')}
          </Button>
          <ConfirmDialog
            trigger={o.disabled ? t('operators.enable') : t('operators.disable')}
            title={`${o.disabled ? t('operators.enable') : t('operators.disable')}: ${o.username}`}
            confirmLabel={o.disabled ? t('operators.enable') : t('operators.disable')}
            variant={o.disabled ? 'primary' : 'danger'}
            onConfirm={() => update.mutateAsync({ id: o.id, patch: { disabled: !o.disabled } })}
          >
            <p>
              {o.disabled ? t('operators.enableEffect') : t('operators.disableEffect', { name: o.username })}
            </p>
          </ConfirmDialog>
          <ReauthButton label={t('operators.recover')} onConfirmed={() => recover.mutateAsync({ id: o.id })}>
            <p>{t('operators.recoverEffect', { name: o.username })}</p>
          </ReauthButton>
        </div>
      ),
    },
  ];

  return (
    <Page
      write="operators:write"
      title={t('nav.operators')}
      actions={
        <Button variant="primary" onPress={() => setEditing('new')}>
          {t('operators.new')}
        </Button>
      }
    >
      <ErrorNotice error={operators.error ?? update.error ?? recover.error} />
      {operators.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('nav.operators')}
          columns={columns}
          rows={operators.data ?? []}
          rowKey={(o) => o.id}
        />
      )}
      {editing && (
        <EditPanel
          title={editing === 'new' ? t('operators.new') : editing.username}
          onClose={() => setEditing(undefined)}
        >
          <OperatorForm
            key={editing === 'new' ? 'new' : editing.id}
            operator={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(undefined)}
          />
        </EditPanel>
      )}
    </Page>
  );
}

function OperatorForm({ operator, onDone }: { operator?: OperatorDetail; onDone: () => void }) {
  const { t } = useTranslation();
  const create = useCreateOperator();
  const update = useUpdateOperator();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState(operator?.displayName ?? '');
  const [role, setRole] = useState<Role>(operator?.role ?? 'operator');
  const scope = operator && operator.scope !== 'all' ? operator.scope : { departments: [], sites: [] };
  const [departments, setDepartments] = useState(scope.departments.join(', '));
  const [sites, setSites] = useState(scope.sites.join(', '));
  const [password, setPassword] = useState('');
  const fields = {
    displayName: displayName.trim() || undefined,
    role,
    ...(role === 'operator' && { scope: { departments: list(departments), sites: list(sites) } }),
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    if (operator) update.mutate({ id: operator.id, patch: fields }, { onSuccess: onDone });
  };
  return (
    <Form onSubmit={save} className="form">
      {!operator && <Field label={t('signIn.username')} value={username} onChange={setUsername} isRequired />}
      <Field label={t('setup.displayName')} value={displayName} onChange={setDisplayName} />
      <SelectField
        label={t('operators.role')}
        value={role}
        onChange={(v) => setRole(v as Role)}
        options={ROLES.map((r) => ({ id: r, label: t(`roles.${r}`) }))}
      />
      {role === 'operator' && (
        <>
          <Field
            label={t('operators.departments')}
            description={t('operators.scopeHelp')}
            value={departments}
            onChange={setDepartments}
          />
          <Field label={t('operators.sites')} value={sites} onChange={setSites} />
        </>
      )}
      {!operator && (
        <Field
          label={t('operators.initialPasswordLabel')}
          description={t('setup.passwordHelp')}
          type="password"
          value={password}
          onChange={setPassword}
          isRequired
          autoComplete="new-password"
        />
      )}
      <ErrorNotice error={create.error ?? update.error} />
      {operator ? (
        <Button type="submit" variant="primary" isDisabled={update.isPending}>
          {t('common.save')}
        </Button>
      ) : (
        <ReauthButton
          label={t('common.create')}
          isDisabled={!username.trim() || password.length < 12}
          onConfirmed={() =>
            create.mutateAsync({ username: username.trim(), password, ...fields }).then(onDone)
          }
        >
          <p>{t('operators.createEffect', { name: username.trim(), role: t(`roles.${role}`) })}</p>
        </ReauthButton>
      )}
    </Form>
  );
}
