// Time-limited keys (時限キー): every key with its holder, where and when it opens, uses so far and
// who issued it (the sponsor); issue one (its link and QR code are shown once), revoke one (at once,
// on every controller), replace a lost link (a new secret: the old QR code stops working), and see
// each key's uses at the doors.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { EditPanel } from '../../components/common/edit-panel.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { IssuedLink } from '../../components/issued-link.tsx';
import { LoadMore } from '../../components/report-parts.tsx';
import {
  type IssuedKey,
  type Key,
  type KeyQuery,
  type KeyUse,
  useGuests,
  useKeys,
  useKeyUses,
  useRelinkKey,
  useRevokeKey,
} from '../../hooks/api/keys-guests.ts';
import { useOperators } from '../../hooks/api/operators.ts';
import { useFormat } from '../../lib/format.ts';
import { KeyForm } from './key-form.tsx';

export function keyWhere(key: Key): string {
  return [...key.doors, ...key.areas].join(', ') || '—';
}

/** Who issued a key, by name where the operator list can be read (operators:read), else by id. */
export function useSponsorName(): (sponsor: string) => string {
  const operators = useOperators();
  const names = new Map((operators.data ?? []).map((o) => [o.id, o.displayName || o.username]));
  return (sponsor) => names.get(sponsor) ?? sponsor;
}

export function KeysPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [state, setState] = useState('active');
  const [kind, setKind] = useState('');
  const query: KeyQuery = {
    ...(state && { state: state as NonNullable<KeyQuery['state']> }),
    ...(kind && { kind: kind as NonNullable<KeyQuery['kind']> }),
  };
  const keys = useKeys(query);
  const guests = useGuests();
  const sponsorName = useSponsorName();
  const guestName = new Map((guests.data ?? []).map((g) => [g.id, g.name]));
  const revoke = useRevokeKey();
  const relink = useRelinkKey();
  const [issuing, setIssuing] = useState(false);
  const [issued, setIssued] = useState<IssuedKey>();
  const [usesOf, setUsesOf] = useState<Key>();
  const [editing, setEditing] = useState<Key>();
  const rows = keys.data?.pages.flatMap((p) => p.items) ?? [];
  const columns: Column<Key>[] = [
    { key: 'id', header: t('common.id'), cell: (k) => `${k.id}${k.label ? ` — ${k.label}` : ''}` },
    {
      key: 'holder',
      header: t('keys.holder'),
      cell: (k) =>
        `${t(`keys.holderOf.${k.holder.kind}`)} ${guestName.get(k.holder.id) ?? ''} (${k.holder.id})`,
    },
    { key: 'where', header: t('keys.where'), cell: keyWhere },
    {
      key: 'when',
      header: t('keys.when'),
      cell: (k) =>
        `${format.dateTime(k.validFrom)} – ${format.dateTime(k.effectiveUntil)}${
          k.windows.length ? ` (${k.windows.join(', ')})` : ''
        }`,
    },
    {
      key: 'uses',
      header: t('keys.uses'),
      // The count opens the list of uses: reading them needs no write permission.
      cell: (k) => (
        <div className="row">
          {k.maxUses === null ? String(k.uses) : `${k.uses} / ${k.maxUses}`}
          <Button onPress={() => setUsesOf(k)} aria-label={t('keys.usesOf', { id: k.id })}>
            {t('keys.showUses')}
          </Button>
        </div>
      ),
    },
    { key: 'state', header: t('keys.state'), cell: (k) => t(`keys.stateOf.${k.state}`) },
    { key: 'sponsor', header: t('keys.sponsor'), cell: (k) => sponsorName(k.sponsor) },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (k) => (
        <div className="row">
          {k.state === 'active' && (
            <>
              <Button onPress={() => setEditing(k)} aria-label={t('common.editNamed', { name: k.id })}>
                {t('common.edit')}
              </Button>
              <ConfirmDialog
                trigger={t('keys.newLink')}
                title={t('keys.newLinkTitle', { id: k.id })}
                confirmLabel={t('keys.newLink')}
                onConfirm={() => relink.mutateAsync(k.id).then(setIssued)}
              >
                <p>{t('keys.newLinkEffect')}</p>
              </ConfirmDialog>
              <ConfirmDialog
                trigger={t('keys.revoke')}
                title={t('keys.revokeTitle', { id: k.id })}
                confirmLabel={t('keys.revoke')}
                variant="danger"
                onConfirm={() => revoke.mutateAsync(k.id)}
              >
                <p>{t('keys.revokeEffect')}</p>
              </ConfirmDialog>
            </>
          )}
        </div>
      ),
    },
  ];
  return (
    <Page
      write="credentials:write"
      title={t('nav.keys')}
      actions={
        <Button variant="primary" onPress={() => setIssuing(true)}>
          {t('keys.new')}
        </Button>
      }
    >
      {issued && <IssuedLink issued={issued} onDismiss={() => setIssued(undefined)} />}
      {issuing && (
        <EditPanel title={t('keys.new')} onClose={() => setIssuing(false)}>
          <KeyForm
            onIssued={(answer) => {
              setIssuing(false);
              setIssued(answer);
            }}
          />
        </EditPanel>
      )}
      {editing && (
        <EditPanel title={t('keys.editOf', { id: editing.id })} onClose={() => setEditing(undefined)}>
          <KeyForm key={editing.id} existing={editing} onSaved={() => setEditing(undefined)} />
        </EditPanel>
      )}
      <search className="toolbar">
        <SelectField
          label={t('keys.state')}
          value={state}
          onChange={setState}
          options={[
            { id: '', label: t('keys.anyState') },
            ...(['active', 'revoked', 'ended'] as const).map((s) => ({
              id: s,
              label: t(`keys.stateOf.${s}`),
            })),
          ]}
        />
        <SelectField
          label={t('keys.kind')}
          value={kind}
          onChange={setKind}
          options={[
            { id: '', label: t('keys.anyKind') },
            { id: 'key', label: t('keys.kindOf.key') },
            { id: 'delivery', label: t('keys.kindOf.delivery') },
          ]}
        />
      </search>
      <ErrorNotice error={keys.error ?? revoke.error ?? relink.error} />
      {keys.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('nav.keys')}
          columns={columns}
          rows={rows}
          rowKey={(k) => k.id}
          empty={t('keys.none')}
        />
      )}
      <LoadMore {...keys} />
      {usesOf && (
        <EditPanel title={t('keys.usesOf', { id: usesOf.id })} onClose={() => setUsesOf(undefined)}>
          <KeyUses keyId={usesOf.id} />
        </EditPanel>
      )}
    </Page>
  );
}

function KeyUses({ keyId }: { keyId: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const uses = useKeyUses(keyId);
  const sponsorName = useSponsorName();
  const columns: Column<KeyUse>[] = [
    { key: 'at', header: t('events.at'), cell: (u) => format.dateTime(u.at) },
    { key: 'door', header: t('events.door'), cell: (u) => u.door ?? '—' },
    {
      key: 'result',
      header: t('reports.result'),
      cell: (u) =>
        u.result === 'grant'
          ? t('events.granted')
          : `${t('events.denied')} — ${t(`reason.${u.reason}`, { defaultValue: u.reason })}`,
    },
    { key: 'controller', header: t('events.controller'), cell: (u) => u.controllerId },
    { key: 'sponsor', header: t('keys.sponsor'), cell: (u) => sponsorName(u.sponsor) },
  ];
  if (uses.isPending) return <Loading />;
  return (
    <>
      <ErrorNotice error={uses.error} />
      <DataTable
        caption={t('keys.usesOf', { id: keyId })}
        columns={columns}
        rows={uses.data ?? []}
        rowKey={(u) => `${u.at}/${u.door}/${u.controllerId}`}
        empty={t('keys.noUses')}
      />
    </>
  );
}
