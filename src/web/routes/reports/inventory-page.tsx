// Stale-credential inventory (棚卸, /api/reports/inventory/:section): credentials unused for N days,
// active credentials of people who have left, expired ones still active, and operators and API
// tokens unused for N days — each with its CSV.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Page } from '../../components/common/page.tsx';
import { CsvDownloads, LoadMore, ReportForm } from '../../components/report-parts.tsx';
import { type InventoryReport, type InventorySection, useInventory } from '../../hooks/api/reports.ts';
import { useFormat } from '../../lib/format.ts';

const SECTIONS: InventorySection[] = ['unused', 'left', 'expired', 'operators'];
type Credential = InventoryReport['credentials'][number];
type Operator = InventoryReport['operators'][number];

export function InventoryPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [section, setSection] = useState<InventorySection>('unused');
  const [days, setDays] = useState('90');
  const [query, setQuery] = useState<{ section: InventorySection; days: number }>();
  const report = useInventory(query);
  const credentials = report.data?.pages.flatMap((p) => p.credentials) ?? [];
  const operators = report.data?.pages.flatMap((p) => p.operators) ?? [];
  const validDays = /^\d{1,4}$/.test(days) && Number(days) >= 1;
  const credentialColumns: Column<Credential>[] = [
    { key: 'credential', header: t('events.credential'), cell: (c) => c.credential },
    {
      key: 'type',
      header: t('reports.credentialType'),
      cell: (c) => t(`credentialType.${c.type}`, { defaultValue: c.type }),
    },
    { key: 'person', header: t('events.person'), cell: (c) => `${c.name} (${c.personId})` },
    { key: 'department', header: t('people.department'), cell: (c) => c.department ?? '—' },
    {
      key: 'left',
      header: t('reports.leftCompany'),
      cell: (c) => (c.personActive ? '—' : format.dateTime(c.leftAt)),
    },
    { key: 'validUntil', header: t('reports.validUntil'), cell: (c) => format.dateTime(c.validUntil) },
    {
      key: 'lastUsed',
      header: t('reports.lastUsed'),
      cell: (c) =>
        c.lastUsedAt ? `${format.dateTime(c.lastUsedAt)} ${c.lastDoor ?? ''}` : t('reports.never'),
    },
    { key: 'created', header: t('reports.created'), cell: (c) => format.dateTime(c.createdAt) },
  ];
  const operatorColumns: Column<Operator>[] = [
    {
      key: 'kind',
      header: t('reports.kind'),
      cell: (o) =>
        t(o.kind === 'token' ? 'reports.operatorKind.tokenHolder' : 'reports.operatorKind.operator'),
    },
    { key: 'name', header: t('common.name'), cell: (o) => `${o.name} (${o.id})` },
    { key: 'role', header: t('reports.role'), cell: (o) => t(`roles.${o.role}`, { defaultValue: o.role }) },
    {
      key: 'last',
      header: t('reports.lastLogin'),
      cell: (o) => (o.lastLoginAt ? format.dateTime(o.lastLoginAt) : t('reports.never')),
    },
    { key: 'created', header: t('reports.created'), cell: (o) => format.dateTime(o.createdAt) },
  ];
  return (
    <Page title={t('nav.inventory')}>
      <ReportForm onSubmit={() => validDays && setQuery({ section, days: Number(days) })}>
        <SelectField
          label={t('reports.section')}
          value={section}
          onChange={(v) => setSection(v as InventorySection)}
          options={SECTIONS.map((s) => ({ id: s, label: t(`reports.inventorySection.${s}`) }))}
        />
        <Field
          label={t('reports.days')}
          inputMode="numeric"
          value={days}
          onChange={setDays}
          isDisabled={section === 'left' || section === 'expired'}
          {...(!validDays && { errorMessage: t('reports.daysInvalid') })}
        />
      </ReportForm>
      {query && (
        <CsvDownloads path={`/api/reports/inventory/${query.section}/csv`} query={{ days: query.days }} />
      )}
      <ErrorNotice error={report.error} />
      {query && report.data && (
        <>
          <p role="status" className="notice">
            {t(`reports.inventoryHelp.${query.section}`, { days: query.days })}
          </p>
          {query.section === 'operators' ? (
            <DataTable
              caption={t('reports.inventorySection.operators')}
              columns={operatorColumns}
              rows={operators}
              rowKey={(o) => `${o.kind}/${o.id}`}
              empty={t('reports.nothingStale')}
            />
          ) : (
            <DataTable
              caption={t(`reports.inventorySection.${query.section}`)}
              columns={credentialColumns}
              rows={credentials}
              rowKey={(c) => c.credentialId}
              empty={t('reports.nothingStale')}
            />
          )}
          <LoadMore {...report} />
        </>
      )}
    </Page>
  );
}
