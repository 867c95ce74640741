// The audit log: every operator action and sign-in, newest first, with the hash chain's state
// (intact, or the first record that was changed or removed).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuditEntry } from '../../api/security-types.ts';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { useAudit, useAuditChain } from '../../hooks/api/audit.ts';
import { useFormat } from '../../lib/format.ts';

export function AuditPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const audit = useAudit({
    ...(actor.trim() && { actor: actor.trim() }),
    ...(action.trim() && { actionPrefix: action.trim() }),
  });
  const chain = useAuditChain();
  const rows = audit.data?.pages.flatMap((p) => p.items) ?? [];
  const columns: Column<AuditEntry>[] = [
    { key: 'at', header: t('events.at'), cell: (r) => format.dateTime(r.at) },
    { key: 'actor', header: t('audit.actor'), cell: (r) => r.actor },
    { key: 'action', header: t('audit.action'), cell: (r) => <code>{r.action}</code> },
    { key: 'target', header: t('audit.target'), cell: (r) => r.target },
    { key: 'source', header: t('audit.source'), cell: (r) => r.source },
    {
      key: 'detail',
      header: t('audit.detail'),
      cell: (r) => <code className="detail">{JSON.stringify(r.detail)}</code>,
    },
  ];
  return (
    <Page title={t('nav.audit')}>
      <div role="status" className={`notice ${chain.data?.ok === false ? 'notice-error' : 'notice-success'}`}>
        {chain.isPending
          ? t('audit.checking')
          : chain.data
            ? chain.data.ok
              ? t('audit.chainOk', { count: chain.data.audit.records })
              : t('audit.chainBroken', {
                  // The first broken span, or else what is wrong with the checkpoint file.
                  id: chain.data.spans[0]?.from,
                  problem: chain.data.spans[0]?.message ?? chain.data.anchors.problems[0],
                })
            : t('audit.chainUnknown')}
      </div>
      <search className="toolbar">
        <Field label={t('audit.actor')} value={actor} onChange={setActor} />
        <Field
          label={t('audit.actionPrefix')}
          description={t('audit.actionHelp')}
          value={action}
          onChange={setAction}
        />
      </search>
      <ErrorNotice error={audit.error} />
      {audit.isPending ? (
        <Loading />
      ) : (
        <DataTable caption={t('nav.audit')} columns={columns} rows={rows} rowKey={(r) => String(r.id)} />
      )}
      {audit.hasNextPage && (
        <Button onPress={() => audit.fetchNextPage()} isDisabled={audit.isFetchingNextPage}>
          {t('common.loadMore')}
        </Button>
      )}
    </Page>
  );
}
