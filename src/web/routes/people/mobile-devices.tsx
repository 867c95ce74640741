// A person's phones with a mobile key (docs/keys.md, "Mobile keys"): each device's name, state and
// last use through the server, removal (revoked at once on every controller, confirmed with its
// effect), and a one-time invitation link for a new phone — shown once, as the server answers it.
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { WriteOnly, WriteScope } from '../../components/common/page.tsx';
import {
  type MobileDevice,
  useInviteMobileDevice,
  usePersonMobileDevices,
  useRemoveMobileDevice,
} from '../../hooks/api/mobile.ts';
import type { Person } from '../../hooks/api/people.ts';
import { useFormat } from '../../lib/format.ts';

const INVITATION_HOURS = 24;

export function MobileDevices({ person }: { person: Person }) {
  const { t } = useTranslation();
  const devices = usePersonMobileDevices(person.id);
  const remove = useRemoveMobileDevice();
  const invite = useInviteMobileDevice();
  const format = useFormat();

  const columns: Column<MobileDevice>[] = [
    { key: 'name', header: t('mobile.device'), cell: (d) => d.deviceName },
    { key: 'state', header: t('credentials.state'), cell: (d) => t(`credentialState.${d.state}`) },
    { key: 'created', header: t('mobile.registered'), cell: (d) => format.dateTime(d.createdAt) },
    { key: 'used', header: t('mobile.lastUsed'), cell: (d) => format.dateTime(d.lastUsedAt) },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (d) => (
        <ConfirmDialog
          trigger={t('mobile.remove')}
          title={t('mobile.removeTitle', { device: d.deviceName })}
          confirmLabel={t('mobile.remove')}
          variant="danger"
          onConfirm={() => remove.mutateAsync(d.id)}
        >
          <p>{t('mobile.removeEffect', { name: person.name })}</p>
        </ConfirmDialog>
      ),
    },
  ];

  return (
    <section className="section" aria-labelledby="mobile-heading">
      <h2 id="mobile-heading">{t('mobile.title')}</h2>
      <ErrorNotice error={devices.error ?? remove.error ?? invite.error} />
      <WriteScope write="credentials:write">
        <DataTable
          caption={t('mobile.title')}
          columns={columns}
          rows={devices.data ?? []}
          rowKey={(d) => d.id}
          empty={t('mobile.none')}
        />
        <WriteOnly>
          <Button
            variant="primary"
            isDisabled={invite.isPending}
            onPress={() => invite.mutate({ personId: person.id, hours: INVITATION_HOURS })}
          >
            {t('mobile.invite')}
          </Button>
        </WriteOnly>
      </WriteScope>
      {invite.data && (
        <div role="status" className="notice notice-success">
          <p>{t('mobile.invitation', { until: format.dateTime(invite.data.expiresAt) })}</p>
          <p>
            <code>{invite.data.url}</code>
          </p>
        </div>
      )}
    </section>
  );
}
