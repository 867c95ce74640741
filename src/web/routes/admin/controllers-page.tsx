// Controllers: online state, software version, clock drift, snapshot version, last contact and
// whether the configuration still matches its baseline; register one, issue its one-time enrollment
// token, restart it, record the baseline.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import type { ControllerLinkStatus } from '../../api/security-types.ts';
import { Button } from '../../components/common/button.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { Loading, Page, WriteOnly } from '../../components/common/page.tsx';
import {
  isOnline,
  useControllerCommand,
  useControllerStatuses,
  useEnrollmentToken,
} from '../../hooks/api/controller-link.ts';
import { type Controller, useControllers, useCreateController } from '../../hooks/api/controllers.ts';
import { useFormat } from '../../lib/format.ts';

type Row = Controller & { status: ControllerLinkStatus | undefined };

export function ControllersPage() {
  const { t } = useTranslation();
  const controllers = useControllers();
  const statuses = useControllerStatuses((controllers.data ?? []).map((c) => c.id));
  const command = useControllerCommand();
  const enrollment = useEnrollmentToken();
  const format = useFormat();
  const rows: Row[] = (controllers.data ?? []).map((c, i) => ({ ...c, status: statuses[i]?.data }));

  const link = (s: ControllerLinkStatus | undefined) => {
    if (!s?.enrolled) return t('controllers.notEnrolled');
    return t(`controllers.link.${s.link}`);
  };
  const drift = (ms: number | null | undefined) =>
    ms == null ? '—' : t('controllers.drift', { seconds: (ms / 1000).toFixed(1) });
  const columns: Column<Row>[] = [
    { key: 'id', header: t('common.id'), cell: (c) => c.id },
    { key: 'name', header: t('common.name'), cell: (c) => c.name },
    {
      key: 'link',
      header: t('controllers.state'),
      cell: (c) => (
        <span className={isOnline(c.status) ? 'status-active' : 'status-inactive'}>{link(c.status)}</span>
      ),
    },
    { key: 'version', header: t('controllers.version'), cell: (c) => c.status?.softwareVersion ?? '—' },
    {
      key: 'drift',
      header: t('controllers.clock'),
      className: 'num',
      cell: (c) => drift(c.status?.clockOffsetMs),
    },
    {
      key: 'snapshot',
      header: t('controllers.snapshot'),
      className: 'num',
      cell: (c) => c.status?.snapshotVersion ?? '—',
    },
    { key: 'seen', header: t('controllers.lastContact'), cell: (c) => format.dateTime(c.status?.lastSeenAt) },
    {
      key: 'backlog',
      header: t('controllers.backlog'),
      className: 'num',
      cell: (c) => c.status?.journalPending ?? '—',
    },
    {
      key: 'config',
      header: t('controllers.config'),
      cell: (c) =>
        c.status?.configMatchesBaseline == null
          ? t('controllers.noBaseline')
          : c.status.configMatchesBaseline
            ? t('controllers.matches')
            : t('controllers.differs'),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (c) => (
        <div className="row">
          <ConfirmDialog
            trigger={t('controllers.enroll')}
            title={t('controllers.enrollTitle', { name: c.name })}
            confirmLabel={t('controllers.enrollConfirm')}
            onConfirm={() => enrollment.mutateAsync(c.id)}
          >
            <p>{t('controllers.enrollEffect')}</p>
          </ConfirmDialog>
          {c.status?.enrolled && (
            <>
              <ConfirmDialog
                trigger={t('controllers.restart')}
                title={t('controllers.restartTitle', { name: c.name })}
                confirmLabel={t('controllers.restart')}
                variant="danger"
                onConfirm={() => command.mutateAsync({ id: c.id, command: 'restart', reason: 'console' })}
              >
                <p>{t('controllers.restartEffect')}</p>
              </ConfirmDialog>
              <ConfirmDialog
                trigger={t('controllers.baseline')}
                title={t('controllers.baseline')}
                confirmLabel={t('controllers.baseline')}
                onConfirm={() => command.mutateAsync({ id: c.id, command: 'baseline' })}
              >
                <p>{t('controllers.baselineEffect')}</p>
              </ConfirmDialog>
            </>
          )}
        </div>
      ),
    },
  ];

  return (
    <Page write="controllers:write" title={t('nav.controllers')}>
      <ErrorNotice error={controllers.error ?? command.error ?? enrollment.error} />
      {enrollment.data && (
        <div role="status" className="notice notice-success">
          <p>{t('controllers.tokenShownOnce', { when: format.dateTime(enrollment.data.expiresAt) })}</p>
          <code>{enrollment.data.token}</code>
        </div>
      )}
      {controllers.isPending ? (
        <Loading />
      ) : (
        <DataTable caption={t('nav.controllers')} columns={columns} rows={rows} rowKey={(c) => c.id} />
      )}
      <WriteOnly>
        <NewController />
      </WriteOnly>
    </Page>
  );
}

function NewController() {
  const { t } = useTranslation();
  const create = useCreateController();
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [site, setSite] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { id: id.trim(), name: name.trim(), site: site.trim() || null, description: null },
      {
        onSuccess: () => {
          setId('');
          setName('');
        },
      },
    );
  };
  return (
    <Form onSubmit={submit} className="form section" aria-labelledby="new-controller">
      <h2 id="new-controller">{t('controllers.new')}</h2>
      <Field label={t('common.id')} value={id} onChange={setId} isRequired />
      <Field label={t('common.name')} value={name} onChange={setName} isRequired />
      <Field label={t('people.site')} value={site} onChange={setSite} />
      <ErrorNotice error={create.error} />
      <Button type="submit" variant="primary" isDisabled={create.isPending}>
        {t('common.create')}
      </Button>
    </Form>
  );
}
