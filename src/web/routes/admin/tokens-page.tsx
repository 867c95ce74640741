// API tokens for integrations: a name, the permissions it carries (never more than yours) and an
// expiry; the token is shown once. Revoking stops it at once.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiToken, Permission } from '../../api/security-types.ts';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, IdChecklist } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { ReauthButton } from '../../components/reauth-dialog.tsx';
import { useCreateToken, useRevokeToken, useTokens } from '../../hooks/api/tokens.ts';
import { useFormat } from '../../lib/format.ts';
import { PERMISSIONS } from '../../lib/permissions.ts';

export function TokensPage() {
  const { t } = useTranslation();
  const tokens = useTokens();
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const format = useFormat();
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState<Permission[]>(['people:read']);
  const [days, setDays] = useState('90');

  const columns: Column<ApiToken>[] = [
    { key: 'name', header: t('common.name'), cell: (k) => k.name },
    { key: 'permissions', header: t('tokens.permissions'), cell: (k) => k.permissions.join(', ') },
    { key: 'created', header: t('tokens.created'), cell: (k) => format.dateTime(k.createdAt) },
    {
      key: 'expires',
      header: t('tokens.expires'),
      cell: (k) => (k.expiresAt ? format.dateTime(k.expiresAt) : t('tokens.never')),
    },
    {
      key: 'used',
      header: t('tokens.lastUsed'),
      cell: (k) => (k.lastUsedAt ? format.dateTime(k.lastUsedAt) : '—'),
    },
    {
      key: 'state',
      header: t('people.state'),
      cell: (k) =>
        k.revokedAt ? (
          t('tokens.revoked')
        ) : (
          <ConfirmDialog
            trigger={t('tokens.revoke')}
            title={t('tokens.revokeTitle', { name: k.name })}
            confirmLabel={t('tokens.revoke')}
            variant="danger"
            onConfirm={() => revoke.mutateAsync(k.id)}
          >
            <p>{t('tokens.revokeEffect')}</p>
          </ConfirmDialog>
        ),
    },
  ];

  return (
    <Page title={t('nav.tokens')}>
      <ErrorNotice error={tokens.error ?? revoke.error} />
      {tokens.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('nav.tokens')}
          columns={columns}
          rows={tokens.data ?? []}
          rowKey={(k) => k.id}
        />
      )}
      <section className="section form" aria-labelledby="new-token">
        <h2 id="new-token">{t('tokens.new')}</h2>
        <Field label={t('common.name')} value={name} onChange={setName} isRequired />
        <IdChecklist
          label={t('tokens.permissions')}
          options={PERMISSIONS.map((p) => ({ id: p, label: p }))}
          value={permissions}
          onChange={(ids) => setPermissions(ids as Permission[])}
        />
        <Field label={t('tokens.days')} inputMode="numeric" pattern="\d*" value={days} onChange={setDays} />
        <ErrorNotice error={create.error} />
        {create.data && (
          <div role="status" className="notice notice-success">
            <p>{t('tokens.shownOnce')}</p>
            <code data-testid="new-token">{create.data.token}</code>
          </div>
        )}
        <ReauthButton
          label={t('tokens.create')}
          isDisabled={!name.trim() || permissions.length === 0}
          onConfirmed={() =>
            create.mutateAsync({
              name: name.trim(),
              permissions,
              ...(days && { expiresInDays: Number(days) }),
            })
          }
        >
          <p>{t('tokens.createEffect', { name: name.trim(), permissions: permissions.join(', ') })}</p>
        </ReauthButton>
      </section>
    </Page>
  );
}
