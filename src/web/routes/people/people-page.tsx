// People: filter by department, site and state, find by ID or name among the loaded pages, page on
// through 100,000 people; create, import and export.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Button } from '../../components/common/button.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { csvExportUrl } from '../../hooks/api/csv.ts';
import { type PeopleQuery, type Person, usePeople } from '../../hooks/api/people.ts';

export function PeoplePage() {
  const { t } = useTranslation();
  const [department, setDepartment] = useState('');
  const [site, setSite] = useState('');
  const [active, setActive] = useState<'all' | 'true' | 'false'>('all');
  const [find, setFind] = useState('');
  const query: PeopleQuery = {
    ...(department.trim() && { department: department.trim() }),
    ...(site.trim() && { site: site.trim() }),
    ...(active !== 'all' && { active }),
  };
  const people = usePeople(query);
  const all = people.data?.pages.flatMap((p) => p.items) ?? [];
  const needle = find.trim().toLowerCase();
  const rows = needle
    ? all.filter((p) => p.id.toLowerCase().includes(needle) || p.name.toLowerCase().includes(needle))
    : all;

  const columns: Column<Person>[] = [
    {
      key: 'id',
      header: t('common.id'),
      cell: (p) => <Link to={`/people/${encodeURIComponent(p.id)}`}>{p.id}</Link>,
    },
    { key: 'name', header: t('people.name'), cell: (p) => p.name },
    { key: 'department', header: t('people.department'), cell: (p) => p.department ?? '—' },
    { key: 'site', header: t('people.site'), cell: (p) => p.site ?? '—' },
    {
      key: 'active',
      header: t('people.state'),
      cell: (p) => (
        <span className={p.active ? 'status-active' : 'status-inactive'}>
          {p.active ? t('people.active') : t('people.left')}
        </span>
      ),
    },
    { key: 'groups', header: t('people.groups'), cell: (p) => p.groups.join(', ') || '—' },
  ];

  return (
    <Page
      write="people:write"
      title={t('people.title')}
      actions={
        <>
          <Link className="button button-primary" to="/people/new">
            {t('people.new')}
          </Link>
          <Link className="button button-secondary" to="/people/import">
            {t('csv.import')}
          </Link>
          <a
            className="button button-secondary"
            href={csvExportUrl('people', { bom: true })}
            download="people.csv"
          >
            {t('csv.exportPeople')}
          </a>
          <a
            className="button button-secondary"
            href={csvExportUrl('credentials', { bom: true })}
            download="credentials.csv"
          >
            {t('csv.exportCredentials')}
          </a>
        </>
      }
    >
      <search className="toolbar">
        <Field
          label={t('people.find')}
          value={find}
          onChange={setFind}
          description={t('people.findHelp')}
          type="search"
        />
        <Field label={t('people.department')} value={department} onChange={setDepartment} />
        <Field label={t('people.site')} value={site} onChange={setSite} />
        <SelectField
          label={t('people.state')}
          value={active}
          onChange={(v) => setActive(v as typeof active)}
          options={[
            { id: 'all', label: t('people.stateAll') },
            { id: 'true', label: t('people.active') },
            { id: 'false', label: t('people.left') },
          ]}
        />
      </search>
      <ErrorNotice error={people.error} />
      {people.isPending ? (
        <Loading />
      ) : (
        <>
          <DataTable
            caption={t('people.title')}
            columns={columns}
            rows={rows}
            rowKey={(p) => p.id}
            empty={t('people.none')}
          />
          <p className="row">
            {t('people.shown', { count: rows.length })}
            {people.hasNextPage && (
              <Button onPress={() => people.fetchNextPage()} isDisabled={people.isFetchingNextPage}>
                {t('common.loadMore')}
              </Button>
            )}
          </p>
        </>
      )}
    </Page>
  );
}
