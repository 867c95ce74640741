// One person: their details (edit), mark as left or back, their credentials and their phones.
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Loading, Page, WriteScope } from '../../components/common/page.tsx';
import { useDeletePerson, usePerson, useUpdatePerson } from '../../hooks/api/people.ts';
import { useCan } from '../../hooks/api/session.ts';
import { useFormat } from '../../lib/format.ts';
import { Credentials } from './credentials.tsx';
import { MobileDevices } from './mobile-devices.tsx';
import { PersonForm } from './person-form.tsx';

export function PersonPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const person = usePerson(id);
  const update = useUpdatePerson();
  const remove = useDeletePerson();
  const navigate = useNavigate();
  const format = useFormat();
  const mayEdit = useCan()('people:write');

  if (person.isPending)
    return (
      <Page title={t('people.title')}>
        <Loading />
      </Page>
    );
  if (!person.data)
    return (
      <Page title={t('people.title')}>
        <ErrorNotice error={person.error} />
      </Page>
    );
  const p = person.data;

  return (
    <Page
      title={`${p.name} (${p.id})`}
      actions={
        <>
          <Link to="/people">{t('people.back')}</Link>
          {!mayEdit ? null : p.active ? (
            <ConfirmDialog
              trigger={t('people.markLeft')}
              title={t('people.markLeftTitle', { name: p.name })}
              confirmLabel={t('people.markLeft')}
              variant="danger"
              onConfirm={() => update.mutateAsync({ id: p.id, patch: { active: false } })}
            >
              <p>{t('people.markLeftEffect', { name: p.name })}</p>
            </ConfirmDialog>
          ) : (
            <ConfirmDialog
              trigger={t('people.reactivate')}
              title={t('people.reactivate')}
              confirmLabel={t('people.reactivate')}
              onConfirm={() => update.mutateAsync({ id: p.id, patch: { active: true } })}
            >
              <p>{t('people.reactivateEffect', { name: p.name })}</p>
            </ConfirmDialog>
          )}
          {mayEdit && (
            <ConfirmDialog
              trigger={t('common.delete')}
              title={t('people.deleteTitle', { name: p.name })}
              confirmLabel={t('common.delete')}
              variant="danger"
              onConfirm={() => remove.mutateAsync(p.id).then(() => navigate('/people'))}
            >
              <p>{t('people.deleteEffect')}</p>
            </ConfirmDialog>
          )}
        </>
      }
    >
      {!p.active && (
        <p className="notice notice-warning" role="status">
          {t('people.leftAt', { when: format.dateTime(p.leftAt) })}
        </p>
      )}
      <ErrorNotice error={remove.error} />
      <WriteScope write="people:write">
        <PersonForm
          key={p.updatedAt}
          person={p}
          submitLabel={t('common.save')}
          error={update.error}
          pending={update.isPending}
          onSubmit={({ id: _id, ...patch }) => update.mutate({ id: p.id, patch })}
        />
      </WriteScope>
      {update.isSuccess && (
        <p role="status" className="notice notice-success">
          {t('common.saved')}
        </p>
      )}
      <Credentials person={p} />
      <MobileDevices person={p} />
    </Page>
  );
}
